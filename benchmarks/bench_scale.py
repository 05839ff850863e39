"""The store at scale, with synthetic vectors over a real store: appending to a large index, and search at 1M chunks.

    python benchmarks/bench_scale.py append --chunks 100000 --rounds 5 --against /tmp/base16/src
    python benchmarks/bench_scale.py ann --chunks 1000000 --queries 200

Parts:
- ``append``: an index of at least ``--chunks`` chunks (synthetic Indonesian documents of ten
  paragraphs, from the words of the shipped article; vectors of dimension 384 from a generator
  seeded by each text; built once under benchmarks/results/cache/), then ``--rounds`` ingests
  that each add one new article: the time of ``build_index`` from call to return, less the
  article's own embedding (timed inside the embedder), and the bytes written to the index
  folder (files new or grown). Documents are handed over in memory, so reading a corpus
  folder is not in it. One fresh process per round. ``--against SRC`` alternates the rounds
  with another egov-qa's ``src/`` folder (e.g. a checkout of 16a4ce5, the store before
  segments, where each ingest copied the whole SQLite file and FAISS index).
- ``ann``: ``--chunks`` one-chunk documents whose vectors are drawn around 2,000 centres like
  real embeddings' clusters, stored through ``build_index`` (built once under the cache; the
  ingest's time and the HNSW build's, as egov-qa logs it, are kept beside it). Then, in a fresh
  process, the index is loaded and ``--queries`` new vectors from the same mixture are searched
  through ``Index.search(mode="dense")``: p50 and p95, the resident memory the loaded index
  adds, and recall@10 against exact search by numpy over the same vectors (whose time per
  query is reported too: the bare matrix product and top 10, without the API around it). Also
  BM25 through ``Index.search(mode="lexical")`` for words every chunk holds and for one chunk's
  own word (p50 of 20 each).
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench_core import ROOT, LoggedSeconds, machine
from egov_qa import Document, Settings, build_index, load_index
from egov_qa.embedding import FakeEmbedder
from egov_qa.manifest import FORMAT_VERSION

CACHE = ROOT / "benchmarks" / "results" / "cache"
_SETTINGS = Settings(models_dir=Path(tempfile.gettempdir()))  # no model is loaded: the embedders are tables
DIM = 384


class SeededEmbedder(FakeEmbedder):
    """Vectors of dimension 384 drawn from a generator seeded by the text: the cost of a real index, no model."""

    name = "synthetic-384"
    dimension = DIM
    embed_passages_pooled = None  # type: ignore[assignment]

    def __init__(self) -> None:
        self.seconds = 0.0

    def fingerprint(self) -> str:
        return "synthetic-384-v1"

    def _vector(self, text: str) -> np.ndarray:
        seed = int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")
        vec = np.random.default_rng(seed).standard_normal(DIM).astype(np.float32)
        return vec / np.linalg.norm(vec)

    def embed_passages(self, texts: Sequence[str], *, progress: Any = None) -> np.ndarray:
        start = time.perf_counter()
        out = super().embed_passages(texts, progress=progress)
        self.seconds += time.perf_counter() - start
        return out


class TableEmbedder(FakeEmbedder):
    """Looks up each text's vector by the number it carries (``v123``): vectors made beforehand, no model."""

    name = "table-384"
    dimension = DIM
    embed_passages_pooled = None  # type: ignore[assignment]

    def __init__(self, passages: np.ndarray, queries: np.ndarray, chunks: int | None = None) -> None:
        self.passages, self.queries = passages, queries
        self.chunks = len(passages) if chunks is None else chunks

    def fingerprint(self) -> str:
        return f"table-384-{self.chunks}"

    def lookup(self, texts: Sequence[str], table: np.ndarray) -> np.ndarray:
        found = [re.search(r"\bv(\d+)\b", t) for t in texts]  # a text with no number (lexical questions): row 0
        return np.vstack([table[int(m.group(1)) if m else 0] for m in found])

    def embed_passages(self, texts: Sequence[str], *, progress: Any = None) -> np.ndarray:
        if progress is not None and len(texts):
            progress(len(texts))
        return self.lookup(texts, self.passages)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.lookup(texts, self.queries)


def _vocabulary() -> list[str]:
    words = re.findall(r"[a-z]{3,}", (ROOT / "corpus").joinpath(next(iter(
        p.name for p in sorted((ROOT / "corpus").iterdir()) if p.suffix in (".md", ".txt")
    ))).read_text(encoding="utf-8").lower())  # fmt: skip
    return sorted(set(words))


def synthetic_docs(n: int, rng: np.random.Generator, prefix: str = "art") -> list[Document]:
    """``n`` documents of ten 90-word paragraphs drawn from the shipped article's words (Zipf-like)."""
    vocab = _vocabulary()
    weights = 1.0 / np.arange(1, len(vocab) + 1)
    weights /= weights.sum()
    docs = []
    for i in range(n):
        paragraphs = [
            " ".join(vocab[j] for j in rng.choice(len(vocab), size=90, p=weights)).capitalize() + "." for _ in range(10)
        ]
        docs.append(Document(f"{prefix}-{i:06d}.txt", "\n\n".join(paragraphs), title=f"Artikel {prefix} {i}"))
    return docs


def _folder_bytes(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_size for p in folder.iterdir() if p.is_file()}


def _base_docs(chunks: int) -> list[Document]:
    return synthetic_docs(max(1, chunks // 9), np.random.default_rng(14))


def append_build(chunks: int) -> Path:
    """Build (once) the large index this egov-qa appends to; return its folder."""
    base_dir = CACHE / f"scale-append-{chunks}-format{FORMAT_VERSION}"
    if not (base_dir / "manifest.json").is_file():
        start = time.perf_counter()
        report = build_index(_base_docs(chunks), base_dir, embedder=SeededEmbedder(), settings=_SETTINGS)
        print(f"  built {report.total_chunks:,} chunks in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    return base_dir


def append_round(chunks: int, index_dir: Path, round_: int) -> dict[str, Any]:
    """Add the round's new article to ``index_dir`` (a copy of the large index) and time it."""
    docs, articles = _base_docs(chunks), synthetic_docs(round_ + 1, np.random.default_rng(15), prefix="new")
    embedder = SeededEmbedder()
    before = _folder_bytes(index_dir)
    start = time.perf_counter()
    report = build_index([*docs, *articles], index_dir, embedder=embedder, settings=_SETTINGS)
    total = time.perf_counter() - start
    after = _folder_bytes(index_dir)
    return {
        "seconds": total,
        "embedding_seconds": embedder.seconds,
        "beyond_embedding": total - embedder.seconds,
        "chunks_embedded": report.chunks_embedded,
        "total_chunks": report.total_chunks,
        "bytes_added": sum(max(0, size - before.get(name, 0)) for name, size in after.items()),
        "index_bytes": sum(after.values()),
    }


def _child(src: Path | None, *args: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(src)} if src else None
    done = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, env=env, cwd=Path(__file__).parent
    )
    if done.returncode:
        raise RuntimeError(f"{args[0]} failed:\n{done.stderr}")
    return done.stdout.strip().splitlines()[-1]


def append(chunks: int, rounds: int, against: Path | None) -> dict[str, Any]:
    """Rounds alternate between this egov-qa and, with ``against``, another one's source (one process each)."""
    variants = {"segments": None, **({"before_segments": against} if against else {})}
    out: dict[str, Any] = {"variants": {name: {"rounds": []} for name in variants}}
    with tempfile.TemporaryDirectory(prefix="egov-append-") as tmp:
        for name, src in variants.items():
            base = Path(_child(src, "append-build", "--chunks", str(chunks)))
            shutil.copytree(base, Path(tmp) / name)
        for r in range(rounds):
            for name, src in variants.items():
                row = json.loads(_child(src, "append-round", "--chunks", str(chunks), "--index", str(Path(tmp) / name),
                                        "--rounds", str(r)))  # fmt: skip
                out["variants"][name]["rounds"].append(row)
                print(f"  round {r + 1} {name}: {json.dumps(row)}", flush=True)
    for result in out["variants"].values():
        beyond = [r["beyond_embedding"] for r in result["rounds"]]
        result.update(
            chunks=result["rounds"][0]["total_chunks"],
            beyond_embedding_median=statistics.median(beyond),
            beyond_embedding_max=max(beyond),
            bytes_added_median=statistics.median(r["bytes_added"] for r in result["rounds"]),
        )
    if against:
        v = out["variants"]
        out["speedup"] = v["before_segments"]["beyond_embedding_median"] / v["segments"]["beyond_embedding_median"]
    return out


def _mixture(n: int, centres: np.ndarray, rng: np.random.Generator, spread: float = 0.6) -> np.ndarray:
    out = np.empty((n, DIM), dtype=np.float32)
    for start in range(0, n, 100_000):
        stop = min(n, start + 100_000)
        rows = centres[rng.integers(0, len(centres), stop - start)]
        rows = rows + spread * rng.standard_normal((stop - start, DIM)).astype(np.float32) / np.sqrt(DIM)
        out[start:stop] = rows / np.linalg.norm(rows, axis=1, keepdims=True)
    return out


def _rss_mb() -> float:
    """This process's resident memory now (MiB)."""
    return int(Path("/proc/self/statm").read_text().split()[1]) * resource.getpagesize() / 2**20


def _ann_data(chunks: int, n_queries: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1_000_000)
    centres = rng.standard_normal((2000, DIM)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    return _mixture(chunks, centres, rng), _mixture(n_queries, centres, rng)


def ann(chunks: int, n_queries: int) -> dict[str, Any]:
    from egov_qa import vector_segments as segments

    passages, queries = _ann_data(chunks, n_queries)
    ix = CACHE / f"scale-ann-{chunks}"
    out: dict[str, Any] = {"chunks": chunks, "queries": n_queries, "hnsw": {
        "M": segments.HNSW_M, "ef_construction": segments.HNSW_EF_CONSTRUCTION, "ef_search": segments.HNSW_EF_SEARCH,
        "min_chunks": segments.HNSW_MIN,
    }}  # fmt: skip
    if not (ix / "manifest.json").is_file():
        timings = LoggedSeconds(r"Built the HNSW graph over \d+ vectors in ([\d.]+) s").listen()
        docs = (Document(f"c{i:07d}", f"Potongan v{i} tentang layanan publik.") for i in range(chunks))
        start = time.perf_counter()
        build_index(docs, ix, embedder=TableEmbedder(passages, queries), settings=_SETTINGS)
        out["build"] = {"ingest_seconds": time.perf_counter() - start, "hnsw_seconds": timings.seconds}
        (ix / "bench-build.json").write_text(json.dumps(out["build"]))
        print(f"  ingest of {chunks:,} chunks: {out['build']}", flush=True)
    out["build"] = json.loads((ix / "bench-build.json").read_text())
    out["segments"] = json.loads((ix / "manifest.json").read_text())["files"]["segments"]
    out["index_bytes"] = {p.name: p.stat().st_size for p in ix.iterdir() if p.is_file()}
    # searched in a fresh process, so its memory is what serving the index takes
    child = subprocess.run(
        [sys.executable, __file__, "ann-search", "--chunks", str(chunks), "--queries", str(n_queries)],
        capture_output=True, text=True, check=True, cwd=Path(__file__).parent,
    )  # fmt: skip
    out.update(json.loads(child.stdout.strip().splitlines()[-1]))
    keys = ("search_ms", "recall_at_10", "memory_mb", "exact_numpy_ms", "lexical_ms_p50")
    print(f"  {json.dumps({k: out[k] for k in keys})}")
    return out


def ann_search(chunks: int, n_queries: int) -> dict[str, Any]:
    """Load the index and search it (the child process of ``ann``); prints one JSON line."""
    passages, queries = _ann_data(chunks, n_queries)
    exact, exact_ms = [], []
    for q in queries:  # the ground truth, timed: what an exact search over the same vectors costs
        start = time.perf_counter()
        exact.append(set(np.argpartition(-(passages @ q), 10)[:10].tolist()))
        exact_ms.append((time.perf_counter() - start) * 1000)
    embedder = TableEmbedder(
        passages[:0], queries, chunks
    )  # the index holds the passages' vectors; searches embed none
    del passages
    gc.collect()
    before = _rss_mb()
    start = time.perf_counter()
    index = load_index(CACHE / f"scale-ann-{chunks}", embedder=embedder, settings=_SETTINGS)
    load_seconds = time.perf_counter() - start
    times, recall = [], []
    for q in range(n_queries):
        start = time.perf_counter()
        hits = index.search(f"v{q}", top_k=10, mode="dense", highlight=False)
        times.append((time.perf_counter() - start) * 1000)
        recall.append(len({int(h.doc_id[1:]) for h in hits} & exact[q]) / 10)
    lexical: dict[str, list[float]] = {"every chunk matches": [], "one chunk matches": []}
    for q in range(20):  # BM25 in SQLite FTS5: its cost grows with the chunks a query's words match
        for kind, text in (("every chunk matches", "layanan publik"), ("one chunk matches", f"v{q}")):
            start = time.perf_counter()
            index.search(text, top_k=10, mode="lexical", highlight=False)
            lexical[kind].append((time.perf_counter() - start) * 1000)
    return {
        "lexical_ms_p50": {kind: float(np.percentile(ms, 50)) for kind, ms in lexical.items()},
        "load_seconds": load_seconds,
        "memory_mb": {"before_load": before, "after_search": _rss_mb(), "index": _rss_mb() - before},
        "search_ms": {"p50": float(np.percentile(times, 50)), "p95": float(np.percentile(times, 95))},
        "recall_at_10": float(np.mean(recall)),
        "exact_numpy_ms": {"p50": float(np.percentile(exact_ms, 50)), "p95": float(np.percentile(exact_ms, 95))},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("part", choices=("append", "ann", "append-build", "append-round", "ann-search"))
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--against", type=Path, help="append: also time the egov-qa whose src/ folder this is")
    parser.add_argument("--index", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "scale.json")
    args = parser.parse_args()
    if args.part in ("append-build", "append-round", "ann-search"):  # the child processes
        if args.part == "append-build":
            print(append_build(args.chunks))
        elif args.part == "append-round":
            print(json.dumps(append_round(args.chunks, args.index, args.rounds)))
        else:
            print(json.dumps(ann_search(args.chunks, args.queries)))
        return 0
    result = append(args.chunks, args.rounds, args.against) if args.part == "append" else ann(args.chunks, args.queries)
    saved = json.loads(args.out.read_text()) if args.out.is_file() else {}
    saved[args.part] = {"command": " ".join(["python", *sys.argv]), "machine": machine(), **result}
    args.out.write_text(json.dumps(saved, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
