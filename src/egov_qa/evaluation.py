"""Retrieval evaluation: queries with their relevant documents -> R@1/5/10, MRR@10, nDCG@10.

Relevance is per document: the chunks a mode returns are collapsed to their documents in
rank order (a document counts once, at its best chunk), then scored against the relevant ids.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from egov_qa.errors import EgovQAError

if TYPE_CHECKING:
    from egov_qa.api import Index
    from egov_qa.search import Mode

CUTOFFS = (1, 5, 10)
DEPTH = 10
# chunks fetched per query so that at least DEPTH distinct documents are usually among them
CHUNK_DEPTH = 50


@dataclass(frozen=True, slots=True)
class EvalQuery:
    """One evaluation query and the ids of the documents that answer it."""

    query: str
    relevant: frozenset[str]


def read_queries(path: Path) -> list[EvalQuery]:
    """Read a JSON Lines file of ``{"query": ..., "relevant": [doc ids]}`` objects.

    ``question`` is accepted for ``query``; ``relevant_doc_ids``/``doc_ids`` (a list) or
    ``doc_id`` (one id) for ``relevant``. Blank lines are skipped.

    Raises:
        EgovQAError: the file is missing, or a line is not such an object (with its number).
    """
    if not path.is_file():
        raise EgovQAError(f"No queries file at {path}")
    out = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise EgovQAError(f"{path}:{n}: not JSON ({exc.msg})") from exc
            query = obj.get("query", obj.get("question")) if isinstance(obj, dict) else None
            rel = _relevant(obj) if isinstance(obj, dict) else None
            if not isinstance(query, str) or not query.strip() or not rel:
                raise EgovQAError(f'{path}:{n}: expected {{"query": "...", "relevant": ["doc id", ...]}}')
            out.append(EvalQuery(query, frozenset(rel)))
    if not out:
        raise EgovQAError(f"{path} holds no queries")
    return out


def _relevant(obj: dict[str, object]) -> list[str] | None:
    for key in ("relevant", "relevant_doc_ids", "doc_ids"):
        value = obj.get(key)
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            return [str(v) for v in value]
    single = obj.get("doc_id")
    return [single] if isinstance(single, str) and single else None


def documents_in_order(doc_ids: Iterable[str]) -> list[str]:
    """Collapse a ranked list of chunk documents to distinct documents, first occurrence first."""
    return list(dict.fromkeys(doc_ids))


def query_metrics(ranked_docs: Sequence[str], relevant: frozenset[str]) -> dict[str, float]:
    """Return recall@1/5/10, reciprocal rank@10 and nDCG@10 (binary gains) for one query."""
    top = list(ranked_docs[:DEPTH])
    out = {f"R@{k}": float(any(d in relevant for d in top[:k])) for k in CUTOFFS}
    first = next((i for i, d in enumerate(top, start=1) if d in relevant), None)
    out["MRR@10"] = 1.0 / first if first else 0.0
    dcg = sum(1.0 / math.log2(i + 1) for i, d in enumerate(top, start=1) if d in relevant)
    ideal = sum(1.0 / math.log2(i + 1) for i in range(1, min(len(relevant), DEPTH) + 1))
    out["nDCG@10"] = dcg / ideal if ideal else 0.0
    return out


def evaluate(
    queries: Sequence[EvalQuery],
    retrieve: Callable[[str], Sequence[str]],
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, float]:
    """Average the metrics of ``retrieve`` (query -> ranked chunk doc ids) over ``queries``."""

    def ranked() -> Iterator[tuple[list[str], frozenset[str]]]:
        for n, q in enumerate(queries, start=1):
            yield documents_in_order(retrieve(q.query)), q.relevant
            if progress is not None:
                progress(n, len(queries))

    return mean_metrics(ranked())


def mean_metrics(ranked: Iterable[tuple[Sequence[str], frozenset[str]]]) -> dict[str, float]:
    """Average :func:`query_metrics` over (ranked document ids, relevant ids) pairs."""
    totals: dict[str, float] = {}
    count = 0
    for docs, relevant in ranked:
        count += 1
        for key, value in query_metrics(docs, relevant).items():
            totals[key] = totals.get(key, 0.0) + value
    return {key: value / count for key, value in totals.items()} if count else {}


def evaluate_index(
    index: Index,
    queries: Sequence[EvalQuery],
    *,
    mode: Mode = "hybrid",
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, float]:
    """Measure ``index.search`` in ``mode`` on ``queries``: mean R@1/5/10, MRR@10 and nDCG@10, per document."""

    def retrieve(query: str) -> list[str]:
        return [h.doc_id for h in index.search(query, top_k=CHUNK_DEPTH, highlight=False, mode=mode)]

    return evaluate(queries, retrieve, progress=progress)
