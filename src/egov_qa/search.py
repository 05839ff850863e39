"""Turning ranked chunks into Hits, with embedding-scored evidence sentences."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np

from egov_qa.embedding import Embedder
from egov_qa.highlight import select_highlights, sentence_spans
from egov_qa.records import Hit
from egov_qa.retrieval import Ranked
from egov_qa.store import IndexReader


class SentenceVectors:
    """A bounded, thread-safe LRU of the sentence vectors of recently returned chunks.

    Scoring a hit's sentences costs one embedding per sentence; the same chunks come back for
    related questions, so their vectors are kept instead of recomputed.
    """

    def __init__(self, capacity: int = 2048) -> None:
        """Keep the vectors of at most ``capacity`` chunks."""
        self._capacity = capacity
        self._items: OrderedDict[tuple[int, str], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[int, str]) -> np.ndarray | None:
        """Return the cached vectors for (chunk id, kind of unit), or None."""
        with self._lock:
            vecs = self._items.get(key)
            if vecs is not None:
                self._items.move_to_end(key)
            return vecs

    def put(self, key: tuple[int, str], vecs: np.ndarray) -> None:
        """Store a chunk's unit vectors, evicting the least recently used entry when full."""
        with self._lock:
            self._items[key] = vecs
            self._items.move_to_end(key)
            while len(self._items) > self._capacity:
                self._items.popitem(last=False)


def make_hits(
    reader: IndexReader,
    embedder: Embedder,
    query_vec: np.ndarray,
    ranked: Sequence[Ranked],
    *,
    highlight: bool = True,
    cache: SentenceVectors | None = None,
) -> list[Hit]:
    """Return ranked chunks as Hits, in the given order, with evidence highlights."""
    rows = reader.chunk_rows([r.chunk_id for r in ranked])
    ordered = [(rows[r.chunk_id], r) for r in ranked if r.chunk_id in rows]
    if highlight:
        highlights = _highlights(embedder, query_vec, [row for row, _ in ordered], cache or SentenceVectors(0))
    else:
        highlights = [()] * len(ordered)
    return [
        Hit(
            doc_id=row["doc_id"],
            title=row["title"],
            text=row["text"],
            score=r.score,
            rank=rank,
            metadata=row["metadata"],
            highlights=spans,
            chunk_id=row["id"],
            start=row["start"],
            end=row["end"],
            heading=row["heading"],
            page=row["page"],
            sentences=tuple(sentence_spans(row["text"], row["sentences"])),
            dense_score=r.dense,
            lexical_score=r.lexical,
        )
        for rank, ((row, r), spans) in enumerate(zip(ordered, highlights, strict=True), start=1)
    ]


def unit_vectors(
    embedder: Embedder, units: list[tuple[int, str, list[str]]], cache: SentenceVectors
) -> list[np.ndarray]:
    """Embed (chunk id, kind, texts) groups as passages, reusing cached groups; one batch for the rest."""
    out: list[np.ndarray | None] = [cache.get((cid, kind)) for cid, kind, _ in units]
    todo = [i for i, vecs in enumerate(out) if vecs is None or len(vecs) != len(units[i][2])]
    texts = [t for i in todo for t in units[i][2]]
    fresh = embedder.embed_passages(texts) if texts else np.zeros((0, embedder.dimension), dtype=np.float32)
    pos = 0
    for i in todo:
        cid, kind, group = units[i]
        vecs = fresh[pos : pos + len(group)]
        cache.put((cid, kind), vecs)
        out[i] = vecs
        pos += len(group)
    return [v if v is not None else np.zeros((0, embedder.dimension), dtype=np.float32) for v in out]


def _highlights(
    embedder: Embedder, query_vec: np.ndarray, rows: list[dict[str, Any]], cache: SentenceVectors
) -> list[tuple[tuple[int, int], ...]]:
    """Score every sentence of every hit against the query; uncached ones are embedded in one batch."""
    per_row = [sentence_spans(row["text"], row["sentences"]) for row in rows]
    units = [
        (row["id"], "sentences", [row["text"][s:e] for s, e in spans]) for row, spans in zip(rows, per_row, strict=True)
    ]
    vectors = unit_vectors(embedder, units, cache)
    return [select_highlights(spans, (vecs @ query_vec).tolist()) for spans, vecs in zip(per_row, vectors, strict=True)]
