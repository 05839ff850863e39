"""A benchmark-only embedder wrapper that keeps every vector it computes in a SQLite file.

Training and evaluating the answer models asks the same sentences of the same passages again
and again; on 2 cores each embedding costs ~20-50 ms. The wrapper looks each text up by the
SHA-1 of (model, prompt kind, text) before calling the model, so a second run of a benchmark costs
retrieval only. The model part is the model's name on sentence-transformers (the engine every
cached vector was made with before the ONNX engine) and "name@engine:fingerprint" on any other. It is
never used by the product.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from egov_qa.embedding import Embedder, Progress


class CachedEmbedder:
    """Delegates to ``inner``; vectors of queries and passages are read from/written to ``path``."""

    def __init__(self, inner: Embedder, path: Path) -> None:
        self.inner = inner
        self.name = inner.name
        self.backend = str(getattr(inner, "backend", "sentence-transformers"))
        built = f"{self.name}@{self.backend}:{inner.fingerprint()}"
        self.key = self.name if self.backend == "sentence-transformers" else built
        self.dimension = inner.dimension
        self.max_tokens = inner.max_tokens
        self.query_prompt = inner.query_prompt
        self.passage_prompt = inner.passage_prompt
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path)
        self.db.execute("CREATE TABLE IF NOT EXISTS vec (key TEXT PRIMARY KEY, v BLOB)")
        self.computed = 0
        if hasattr(inner, "embed_passages_pooled"):  # an ingest that pools unit vectors runs the model itself
            self.embed_passages_pooled = inner.embed_passages_pooled

    def fingerprint(self) -> str:
        return self.inner.fingerprint()

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return self.inner.count_tokens(texts)

    def cached(self, kind: str, texts: Sequence[str], embed: Callable[[list[str]], np.ndarray]) -> np.ndarray:
        keys = [hashlib.sha1(f"{self.key}\0{kind}\0{t}".encode()).hexdigest() for t in texts]
        found: dict[str, np.ndarray] = {}
        for i in range(0, len(keys), 500):
            part = keys[i : i + 500]
            marks = ",".join("?" * len(part))
            for key, blob in self.db.execute(f"SELECT key, v FROM vec WHERE key IN ({marks})", part):
                found[key] = np.frombuffer(blob, dtype=np.float32)
        todo = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in found}.items())
        if todo:
            vecs = embed([t for _, t in todo])
            self.computed += len(todo)
            with self.db:
                self.db.executemany(
                    "INSERT OR REPLACE INTO vec VALUES (?, ?)",
                    [(k, np.asarray(v, dtype=np.float32).tobytes()) for (k, _), v in zip(todo, vecs, strict=True)],
                )
            for (k, _), v in zip(todo, vecs, strict=True):
                found[k] = np.asarray(v, dtype=np.float32)
        if not keys:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([found[k] for k in keys])

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.cached("query", texts, self.inner.embed_queries)

    def embed_passages(self, texts: Sequence[str], *, progress: Progress | None = None) -> np.ndarray:
        return self.cached("passage", texts, lambda t: self.inner.embed_passages(t, progress=progress))
