"""The evidence scorer: which sentences of the retrieved passages answer the question, scored with the model.

One scorer for ``search`` and ``ask``: every passage is cut into units (sentences; overlong
ones such as tables and lists into lines or word windows); the model embeds each unit and each
unit with its neighbours, and the learned sentence scorer (:mod:`egov_qa.answer_model`) combines
those cosines with the passage's, the question's words found, what the question type asks for,
position and length. A passage's highlights are its best unit and a runner-up within a small margin; the
answer's evidence is the best units across passages. Unit vectors come from the index, pooled
from each chunk's token states at ingest (no model call); an index or engine without them has
them embedded on demand and kept in a bounded cache, since the same passages come back.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from egov_qa.analysis import Span
from egov_qa.answer_model import AnswerModel, Candidates, candidates, load_answer_model
from egov_qa.embedding import Embedder
from egov_qa.evidence_vectors import UnitVectors
from egov_qa.highlight import select_highlights, sentence_spans
from egov_qa.reading import Reader
from egov_qa.records import Hit

_MAX_UNIT_WORDS = 60
_WINDOW_WORDS = 40
# a passage's runner-up sentence is highlighted too when its logit is this close to the best
_LOGIT_MARGIN = 0.25


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


@dataclass(frozen=True, slots=True)
class ScoredUnit:
    """One evidence unit: its score (the learned scorer's logit), the index of its hit, its span in the hit's text.

    ``candidate`` is its row in :attr:`Scoring.candidates`.
    """

    score: float
    hit: int
    span: Span
    candidate: int


@dataclass(frozen=True, slots=True)
class Scoring:
    """Every candidate unit of one question, scored: ``units`` best first, ``candidates`` with their features.

    ``scores`` are the Indonesian scorer's for every candidate (what the calibrator was fitted
    on), whichever scorer ranked ``units``.
    """

    units: list[ScoredUnit]
    candidates: Candidates
    scores: np.ndarray
    read: bool = False  # the answer reader read the hits (its features are in the rows)


def evidence_units(text: str, spans: Sequence[Span]) -> list[Span]:
    """Split overlong sentences (tables, lists without full stops) into lines or word windows."""
    out: list[Span] = []
    for start, end in spans:
        if len(text[start:end].split()) <= _MAX_UNIT_WORDS:
            out.append((start, end))
            continue
        for m in re.finditer(r"[^\n]+", text[start:end]):
            s, e = start + m.start(), start + m.end()
            words = list(re.finditer(r"\S+", text[s:e]))
            for i in range(0, len(words), _WINDOW_WORDS):
                group = words[i : i + _WINDOW_WORDS]
                out.append((s + group[0].start(), s + group[-1].end()))
    return out


def _context(text: str, units: list[Span], i: int) -> str:
    lo, hi = max(0, i - 1), min(len(units) - 1, i + 1)
    return text[units[lo][0] : units[hi][1]]


def chunk_units(text: str, sentences: Sequence[Span]) -> list[Span]:
    """Return the evidence units of a chunk as stored (its sentence spans, overlong ones cut)."""
    return evidence_units(text, sentence_spans(text, sentences))


def unit_cosines(
    embedder: Embedder,
    query_vec: np.ndarray,
    hits: Sequence[Hit],
    cache: SentenceVectors,
    stored: Mapping[int, UnitVectors] | None = None,
) -> tuple[list[list[Span]], list[np.ndarray], list[np.ndarray]]:
    """Cut every hit into evidence units; return them with the cosines of each unit and of it with its neighbours.

    A hit whose unit vectors were ``stored`` at ingest (pooled from its token states) costs no
    model call; the others' units are embedded here, one batch for all of them.
    """
    units = [evidence_units(h.text, h.sentences) for h in hits]
    stored = stored or {}
    sent: list[np.ndarray | None] = [None] * len(hits)
    ctx: list[np.ndarray | None] = [None] * len(hits)
    for k, (hit, us) in enumerate(zip(hits, units, strict=True)):
        vectors = stored.get(hit.chunk_id)
        if vectors is not None and len(vectors) == len(us):
            sent[k], ctx[k] = vectors.cosines(query_vec)
    todo = [k for k in range(len(hits)) if sent[k] is None]
    groups = [(hits[k].chunk_id, "units", [hits[k].text[s:e] for s, e in units[k]]) for k in todo]
    ctx_groups = [
        (hits[k].chunk_id, "context", [_context(hits[k].text, units[k], i) for i in range(len(units[k]))]) for k in todo
    ]
    for k, s_vecs, c_vecs in zip(
        todo, unit_vectors(embedder, groups, cache), unit_vectors(embedder, ctx_groups, cache), strict=True
    ):
        sent[k], ctx[k] = s_vecs @ query_vec, c_vecs @ query_vec
    return (
        units,
        [v if v is not None else np.zeros(0) for v in sent],
        [v if v is not None else np.zeros(0) for v in ctx],
    )


def score_units(
    embedder: Embedder,
    query_vec: np.ndarray,
    hits: Sequence[Hit],
    cache: SentenceVectors,
    *,
    question: str,
    groups: Sequence[frozenset[str]],
    language: str,
    dense: Sequence[float],
    model: AnswerModel | None = None,
    stored: Mapping[int, UnitVectors] | None = None,
    reader: Reader | None = None,
) -> Scoring:
    """Score every evidence unit of every hit with the learned sentence scorer, best first.

    ``groups`` are the question's terms as they occur in Indonesian text (see
    :func:`egov_qa.answer.term_groups`); ``dense`` is
    each hit's embedding cosine with the question (whatever mode retrieved it); ``stored`` the
    unit vectors kept at ingest, by chunk id. With a ``reader`` (``ask``), each hit is read with
    the question and the full scorer ranks the units; without one (a search's highlights), the
    scorer fitted without the reader's features.
    """
    model = model or load_answer_model()
    units, sent, ctx = unit_cosines(embedder, query_vec, hits, cache, stored)
    gap = model.english_gap if language == "en" else 0.0
    texts = [h.text for h in hits]
    reading = reader.read(question, texts, units) if reader is not None else None
    cands = candidates(question, groups, texts, [h.rank for h in hits], units, sent, ctx, dense, gap, language, reading)
    scorer, english = (model.scorer, model.english_scorer) if reader is not None else model.without_reader
    scores = scorer(cands.rows) if len(cands.spans) else np.zeros(0)
    ranked = scores
    if language == "en" and english is not None and len(cands.spans):
        ranked = english(cands.rows)
    scored = [ScoredUnit(float(ranked[i]), int(cands.hit[i]), cands.spans[i], i) for i in range(len(cands.spans))]
    order = sorted(range(len(scored)), key=lambda i: -scored[i].score)
    return Scoring([scored[i] for i in order], cands, scores, reader is not None)


def with_highlights(hits: Sequence[Hit], scored: Sequence[ScoredUnit]) -> list[Hit]:
    """Return the hits with their highlights set: each passage's best unit and a close runner-up."""
    per_hit: dict[int, list[ScoredUnit]] = {}
    for unit in scored:
        per_hit.setdefault(unit.hit, []).append(unit)
    out = []
    for k, hit in enumerate(hits):
        units = sorted(per_hit.get(k, []), key=lambda u: u.span)
        spans = select_highlights([u.span for u in units], [u.score for u in units], margin=_LOGIT_MARGIN)
        out.append(replace(hit, highlights=spans))
    return out
