"""Dense retrieval over an index and embedding-scored evidence sentences."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import numpy as np

from egov_qa.embedding import Embedder
from egov_qa.highlight import select_highlights, sentence_spans
from egov_qa.records import Hit
from egov_qa.store import IndexReader


class SentenceVectors:
    """A bounded, thread-safe LRU of the sentence vectors of recently returned chunks.

    Scoring a hit's sentences costs one embedding per sentence; the same chunks come back for
    related questions, so their vectors are kept instead of recomputed.
    """

    def __init__(self, capacity: int = 2048) -> None:
        """Keep the vectors of at most ``capacity`` chunks."""
        self._capacity = capacity
        self._items: OrderedDict[int, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, chunk_id: int) -> np.ndarray | None:
        """Return the cached vectors of a chunk's sentences, or None."""
        with self._lock:
            vecs = self._items.get(chunk_id)
            if vecs is not None:
                self._items.move_to_end(chunk_id)
            return vecs

    def put(self, chunk_id: int, vecs: np.ndarray) -> None:
        """Store a chunk's sentence vectors, evicting the least recently used chunk when full."""
        with self._lock:
            self._items[chunk_id] = vecs
            self._items.move_to_end(chunk_id)
            while len(self._items) > self._capacity:
                self._items.popitem(last=False)


def dense_search(
    reader: IndexReader,
    embedder: Embedder,
    query_vec: np.ndarray,
    top_k: int,
    *,
    highlight: bool = True,
    cache: SentenceVectors | None = None,
) -> list[Hit]:
    """Return the ``top_k`` nearest chunks as Hits, best first, with evidence highlights."""
    found = reader.search(query_vec, top_k)
    rows = reader.chunk_rows([cid for cid, _ in found])
    ordered = [(rows[cid], score) for cid, score in found if cid in rows]
    if highlight:
        highlights = _highlights(embedder, query_vec, [row for row, _ in ordered], cache or SentenceVectors(0))
    else:
        highlights = [()] * len(ordered)
    return [
        Hit(
            doc_id=row["doc_id"],
            title=row["title"],
            text=row["text"],
            score=score,
            rank=rank,
            metadata=row["metadata"],
            highlights=spans,
            chunk_id=row["id"],
            start=row["start"],
            end=row["end"],
            heading=row["heading"],
            page=row["page"],
        )
        for rank, ((row, score), spans) in enumerate(zip(ordered, highlights, strict=True), start=1)
    ]


def _highlights(
    embedder: Embedder, query_vec: np.ndarray, rows: list[dict[str, Any]], cache: SentenceVectors
) -> list[tuple[tuple[int, int], ...]]:
    """Score every sentence of every hit against the query; uncached ones are embedded in one batch."""
    per_row = [sentence_spans(row["text"], row["sentences"]) for row in rows]
    cached = [cache.get(row["id"]) for row in rows]
    todo = [i for i, vecs in enumerate(cached) if vecs is None or len(vecs) != len(per_row[i])]
    texts = [rows[i]["text"][s:e] for i in todo for s, e in per_row[i]]
    fresh = embedder.embed_passages(texts) if texts else np.zeros((0, len(query_vec)), dtype=np.float32)
    pos = 0
    for i in todo:
        vecs = fresh[pos : pos + len(per_row[i])]
        cache.put(rows[i]["id"], vecs)
        cached[i] = vecs
        pos += len(per_row[i])
    return [
        select_highlights(spans, (vecs @ query_vec).tolist()) if vecs is not None else ()
        for spans, vecs in zip(per_row, cached, strict=True)
    ]
