"""An index's vectors as immutable segment files, searched together as one generation.

Each ingest writes the vectors it embedded into one new segment file and never rewrites an
older one; a removed chunk stays in its segment until a merge, hidden from search because it is
no longer a live row of the store. A segment of at least :data:`HNSW_MIN` vectors is an HNSW
graph (approximate search); a smaller one is searched exactly.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from egov_qa.errors import IndexCorruptError
from egov_qa.manifest import KIND_FLAT, KIND_HNSW, Segment, fsync_path, rebuild_hint

logger = logging.getLogger(__name__)

# A segment this large is an HNSW graph: exact search over 200,000 vectors of 384 dimensions
# takes ~30 ms on 2 cores, and building the graph ~55 s (docs/BENCHMARKS.md, "Segments and HNSW").
HNSW_MIN = 200_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128
# more segments than this are merged (the newest, smallest ones) at the next ingest
MAX_SEGMENTS = 8
# a segment with more than this share of removed chunks is rewritten without them
MAX_DEAD_SHARE = 1 / 3


def segment_name(generation: int, part: int = 0) -> str:
    """Return the file name of a segment written by generation ``generation``."""
    return f"seg-{generation}-{part}.faiss"


def build(ids: np.ndarray, vectors: np.ndarray, dimension: int) -> tuple[Any, str]:
    """Return a FAISS index over ``vectors`` keyed by chunk ``ids``, and its kind (HNSW from :data:`HNSW_MIN`)."""
    import faiss

    if len(ids) >= HNSW_MIN:
        graph = faiss.IndexHNSWFlat(dimension, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        graph.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        graph.hnsw.efSearch = HNSW_EF_SEARCH
        index, kind = faiss.IndexIDMap2(graph), KIND_HNSW
    else:
        index, kind = faiss.IndexIDMap2(faiss.IndexFlatIP(dimension)), KIND_FLAT
    if kind == KIND_HNSW:
        logger.info("Building an HNSW graph over %d vectors (about a minute per 200,000 on 2 cores) …", len(ids))
    started = time.perf_counter()
    if len(ids):
        index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), np.ascontiguousarray(ids, dtype=np.int64))
    if kind == KIND_HNSW:
        logger.info("Built the HNSW graph over %d vectors in %.1f s", len(ids), time.perf_counter() - started)
    return index, kind


def write(
    index_dir: Path,
    name: str,
    ids: np.ndarray,
    vectors: np.ndarray,
    dimension: int,
    *,
    first_id: int | None = None,
    last_id: int | None = None,
) -> Segment:
    """Write one segment file (fsynced, renamed into place) and return its manifest record.

    ``first_id``..``last_id`` is the range of chunk ids it answers for (default: its own ids').
    """
    import faiss

    index, kind = build(ids, vectors, dimension)
    tmp = index_dir / (name + ".tmp")
    faiss.write_index(index, str(tmp))
    fsync_path(tmp)
    os.replace(tmp, index_dir / name)
    first = int(ids.min()) if first_id is None else first_id
    last = int(ids.max()) if last_id is None else last_id
    return Segment(name, count=len(ids), first_id=first, last_id=last, kind=kind)


def read(index_dir: Path, segment: Segment, dimension: int) -> Any:
    """Read one segment file, checking it holds what the manifest says.

    Raises:
        IndexCorruptError: the file is missing, unreadable or holds other vectors.
    """
    import faiss

    path = index_dir / segment.file
    if not path.is_file():
        raise IndexCorruptError(f"{path} is missing. {rebuild_hint(index_dir)}")
    try:
        index = faiss.read_index(str(path))
    except RuntimeError as exc:
        raise IndexCorruptError(f"{path} is unreadable ({exc}). {rebuild_hint(index_dir)}") from exc
    if index.ntotal != segment.count or index.d != dimension:
        raise IndexCorruptError(
            f"{path} holds {index.ntotal} vectors of dimension {index.d}; the manifest says {segment.count} of "
            f"dimension {dimension}. {rebuild_hint(index_dir)}"
        )
    return index


def arrays(index: Any) -> tuple[np.ndarray, np.ndarray]:
    """Return (chunk ids, vectors) of everything a segment holds."""
    import faiss

    ids = faiss.vector_to_array(index.id_map).astype(np.int64)
    inner = faiss.downcast_index(index.index)
    flat = inner.storage if isinstance(inner, faiss.IndexHNSW) else inner
    vectors = flat.reconstruct_n(0, flat.ntotal) if flat.ntotal else np.zeros((0, index.d), dtype=np.float32)
    return ids, np.asarray(vectors, dtype=np.float32)


class Vectors:
    """The live vectors of one generation: small segments pooled into one exact index, HNSW graphs apart."""

    def __init__(self, indexes: Sequence[tuple[Any, np.ndarray | None]], dimension: int) -> None:
        """Pool ``indexes`` ((segment index, its live ids or None when all are live)) for search."""
        import faiss

        self.d = dimension
        self._exact = faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))
        # (graph, the selector of its chunks still live or None for all, what that selector points at)
        self._graphs: list[tuple[Any, Any, Any]] = []
        self.ntotal = 0
        for index, live in indexes:
            ids = faiss.vector_to_array(index.id_map).astype(np.int64)
            keep = np.isin(ids, live) if live is not None else np.ones(len(ids), dtype=bool)
            self.ntotal += int(keep.sum())
            if isinstance(faiss.downcast_index(index.index), faiss.IndexHNSW):
                self._graphs.append((index, *_shown(ids[~keep])))
            elif keep.any():
                self._exact.add_with_ids(arrays(index)[1][keep], ids[keep])

    def search(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        """Return (chunk id, inner product) of the ``k`` nearest live chunks, best first."""
        q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        found: list[tuple[int, float]] = []
        parts: list[tuple[Any, Any]] = [(self._exact, None), *((g, _params(shown)) for g, shown, _ in self._graphs)]
        for index, params in parts:
            if index.ntotal == 0:
                continue
            scores, ids = index.search(q, min(k, int(index.ntotal)), params=params)
            found += [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]
        found.sort(key=lambda hit: -hit[1])
        return found[:k]

    def search_all(self, query: np.ndarray) -> list[tuple[int, float]]:
        """Return (chunk id, inner product) of every live chunk, best first (exact, graphs included)."""
        import faiss

        q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        found: list[tuple[int, float]] = []
        if self._exact.ntotal:
            scores, ids = self._exact.search(q, int(self._exact.ntotal))
            found += [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]
        for index, shown, _ in self._graphs:
            storage = faiss.downcast_index(index.index).storage  # type: ignore[attr-defined]
            scores, rows = storage.search(q, int(storage.ntotal))
            id_map = faiss.vector_to_array(index.id_map)
            for row, score in zip(rows[0], scores[0], strict=True):
                if row >= 0 and (shown is None or shown.is_member(int(id_map[row]))):
                    found.append((int(id_map[row]), float(score)))
        found.sort(key=lambda hit: -hit[1])
        return found

    def reconstruct(self, ids: Sequence[int]) -> np.ndarray:
        """Return the stored vectors of chunk ``ids`` (one row each)."""
        out = np.zeros((len(ids), self.d), dtype=np.float32)
        for row, chunk_id in enumerate(ids):
            for index in [self._exact, *(g for g, _, _ in self._graphs)]:
                try:
                    out[row] = index.reconstruct(int(chunk_id))
                    break
                except RuntimeError:
                    continue
            else:
                raise KeyError(f"chunk {chunk_id} has no vector in this generation")
        return out


def _shown(gone: np.ndarray) -> tuple[Any, Any]:
    """Return a selector of the chunks not in ``gone`` (None when nothing is gone) and what it points at."""
    import faiss

    if not len(gone):
        return None, None
    batch = faiss.IDSelectorBatch(gone.astype(np.int64))
    return faiss.IDSelectorNot(batch), batch  # the caller keeps the batch alive: the selector only points at it


def _params(shown: Any) -> Any:
    """Return HNSW search parameters for one search (FAISS rewrites them during it: never share them)."""
    import faiss

    params = faiss.SearchParametersHNSW()  # type: ignore[attr-defined]
    params.efSearch = HNSW_EF_SEARCH
    if shown is not None:
        params.sel = shown
    return params


def merges(segments: Sequence[Segment]) -> list[tuple[int, int]]:
    """Return the runs of adjacent segments to merge, as (start, stop) positions, in order.

    - a segment with more than :data:`MAX_DEAD_SHARE` removed chunks is rewritten alone;
    - the small exact segments written since the last HNSW graph become one graph once they
      hold :data:`HNSW_MIN` live chunks, or one exact segment when there are more than
      :data:`MAX_SEGMENTS` segments (the newest are the smallest, so this stays cheap).
    """
    tail = max((i + 1 for i, s in enumerate(segments) if s.kind == KIND_HNSW), default=0)
    small = segments[tail:]
    if len(small) > 1 and (sum(s.live for s in small) >= HNSW_MIN or len(segments) > MAX_SEGMENTS):
        heavy = [(i, i + 1) for i, s in enumerate(segments[:tail]) if s.dead > s.count * MAX_DEAD_SHARE]
        return [*heavy, (tail, len(segments))]
    return [(i, i + 1) for i, s in enumerate(segments) if s.count and s.dead > s.count * MAX_DEAD_SHARE]


def with_dead(segments: Sequence[Segment], removed: Sequence[int]) -> list[Segment]:
    """Return ``segments`` with ``removed`` chunk ids counted as dead in the segment whose id range holds each."""
    firsts = np.asarray([s.first_id for s in segments], dtype=np.int64)
    counts = np.zeros(len(segments), dtype=np.int64)
    if len(segments) and len(removed):
        where = np.searchsorted(firsts, np.asarray(removed, dtype=np.int64), side="right") - 1
        np.add.at(counts, where[where >= 0], 1)
    return [replace(s, dead=min(s.count, s.dead + int(n))) for s, n in zip(segments, counts, strict=True)]
