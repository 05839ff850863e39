"""Dense retrieval over an index and embedding-scored evidence sentences."""

from __future__ import annotations

from typing import Any

import numpy as np

from egov_qa.embedding import Embedder
from egov_qa.highlight import select_highlights, sentence_spans
from egov_qa.records import Hit
from egov_qa.store import IndexReader


def dense_search(
    reader: IndexReader, embedder: Embedder, query_vec: np.ndarray, top_k: int, *, highlight: bool = True
) -> list[Hit]:
    """Return the ``top_k`` nearest chunks as Hits, best first, with evidence highlights."""
    found = reader.search(query_vec, top_k)
    rows = reader.chunk_rows([cid for cid, _ in found])
    ordered = [(rows[cid], score) for cid, score in found if cid in rows]
    if highlight:
        highlights = _highlights(embedder, query_vec, [row for row, _ in ordered])
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
    embedder: Embedder, query_vec: np.ndarray, rows: list[dict[str, Any]]
) -> list[tuple[tuple[int, int], ...]]:
    """Score every sentence of every hit against the query in one embedding batch."""
    per_row = [sentence_spans(row["text"], row["sentences"]) for row in rows]
    texts = [row["text"][s:e] for row, spans in zip(rows, per_row, strict=True) for s, e in spans]
    vecs = embedder.embed_passages(texts) if texts else np.zeros((0, len(query_vec)), dtype=np.float32)
    scores = vecs @ query_vec
    out = []
    pos = 0
    for spans in per_row:
        out.append(select_highlights(spans, scores[pos : pos + len(spans)].tolist()))
        pos += len(spans)
    return out
