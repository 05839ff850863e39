"""Answers with evidence: choosing answering sentences across hits, confidence and messages."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from egov_qa.embedding import Embedder
from egov_qa.modelprep import DEFAULT_MODEL
from egov_qa.records import Answer, Evidence, Hit
from egov_qa.search import SentenceVectors, unit_vectors
from egov_qa.stemmer import query_stems, term_spans

Span = tuple[int, int]
_MAX_UNIT_WORDS = 60
_WINDOW_WORDS = 40
MAX_EVIDENCE = 3

# Calibrated for the default model and DEFAULT_WEIGHTS on IDK-MRC train questions asked against
# the pooled corpus: the best abstention F1 among thresholds that still answer at least 80 % of
# the answerable questions (the unconstrained F1-best, 1.3627, abstained on 55 % of them).
# benchmarks/bench_qa.py, docs/BENCHMARKS.md.
THRESHOLDS: dict[str, float] = {DEFAULT_MODEL: 1.3228}
# Added to the threshold of English questions: on 100 NusaX sentence pairs asked both ways against
# the pooled IDK-MRC paragraphs, the English version scored a median 0.0562 lower (99 % of pairs).
LANGUAGE_OFFSETS: dict[str, dict[str, float]] = {DEFAULT_MODEL: {"en": -0.0562}}

MESSAGES = {
    "id": {
        "found": "Jawaban ditemukan.",
        "not_found": "Tidak ditemukan jawaban yang meyakinkan di korpus. Berikut bagian teks yang paling dekat.",
        "empty": "Korpus belum berisi dokumen.",
        "evidence": "Bukti",
        "passages": "Bagian teks terkait",
        "source": "Sumber",
        "page": "hlm.",
        "date": "Tanggal",
        "confidence": "Keyakinan",
    },
    "en": {
        "found": "Answer found.",
        "not_found": "No confident answer found in the corpus. These are the closest passages.",
        "empty": "The corpus has no documents yet.",
        "evidence": "Evidence",
        "passages": "Related passages",
        "source": "Source",
        "page": "p.",
        "date": "Date",
        "confidence": "Confidence",
    },
}


def labels(language: str) -> dict[str, str]:
    """Return the answer's messages and labels in the question's language (English for others)."""
    return MESSAGES["id" if language == "id" else "en"]


@dataclass(frozen=True, slots=True)
class EvidenceWeights:
    """How a candidate sentence is scored.

    A weighted sum of the cosine of the sentence alone, of the sentence with its neighbours,
    and of the passage's retrieval score.
    """

    sentence: float = 1.0
    context: float = 0.0
    passage: float = 0.0


# Chosen on a TyDi QA-id train sample among five mixes (benchmarks/bench_qa.py, docs/BENCHMARKS.md).
DEFAULT_WEIGHTS = EvidenceWeights(sentence=0.5, context=0.5, passage=0.5)


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


def score_units(
    embedder: Embedder,
    query_vec: np.ndarray,
    hits: Sequence[Hit],
    cache: SentenceVectors,
    weights: EvidenceWeights = DEFAULT_WEIGHTS,
) -> list[tuple[float, int, Span]]:
    """Score every evidence unit of every hit; returns (score, hit index, span), best first."""
    units = [evidence_units(h.text, h.sentences) for h in hits]
    groups = [(h.chunk_id, "units", [h.text[s:e] for s, e in us]) for h, us in zip(hits, units, strict=True)]
    sent = unit_vectors(embedder, groups, cache)
    ctx: list[np.ndarray] = [np.zeros(0)] * len(hits)
    if weights.context:
        ctx_groups = [
            (h.chunk_id, "context", [_context(h.text, us, i) for i in range(len(us))])
            for h, us in zip(hits, units, strict=True)
        ]
        ctx = unit_vectors(embedder, ctx_groups, cache)
    scored = []
    for k, hit in enumerate(hits):
        s = sent[k] @ query_vec if len(units[k]) else np.zeros(0)
        c = ctx[k] @ query_vec if weights.context and len(units[k]) else np.zeros(len(units[k]))
        total = weights.sentence * s + weights.context * c + weights.passage * hit.score
        scored += [(float(total[i]), k, units[k][i]) for i in range(len(units[k]))]
    return sorted(scored, key=lambda t: -t[0])


def _evidence(hit: Hit, span: Span, score: float) -> Evidence:
    meta = hit.metadata
    source = str(meta.get("url") or meta.get("source") or hit.doc_id)
    date = meta.get("date")
    return Evidence(
        text=hit.text[span[0] : span[1]], doc_id=hit.doc_id, title=hit.title, source=source,
        date=str(date) if date else None, page=hit.page, score=score, hit_rank=hit.rank,
        chunk_id=hit.chunk_id, start=hit.start + span[0], end=hit.start + span[1],
        chunk_start=span[0], chunk_end=span[1],
    )  # fmt: skip


def build_answer(
    question: str,
    language: str,
    hits: Sequence[Hit],
    scored: list[tuple[float, int, Span]],
    threshold: float,
) -> Answer:
    """Assemble the Answer: top distinct evidence, hits with evidence and term highlights, message."""
    chosen: list[tuple[float, int, Span]] = []
    seen: set[str] = set()
    for score, k, span in scored:
        text = " ".join(hits[k].text[span[0] : span[1]].split())
        if text not in seen:
            seen.add(text)
            chosen.append((score, k, span))
        if len(chosen) == MAX_EVIDENCE:
            break
    confidence = chosen[0][0] if chosen else 0.0
    answered = bool(chosen) and confidence >= threshold
    stems = query_stems(question) if language == "id" else frozenset()
    best: dict[int, Span] = {}
    for _, k, span in scored:
        best.setdefault(k, span)
    marked = []
    for k, hit in enumerate(hits):
        spans = tuple(sorted(span for _, j, span in chosen if j == k)) or ((best[k],) if k in best else ())
        terms = term_spans(question, hit.text, wanted=stems) if stems else ()
        marked.append(replace(hit, highlights=spans, terms=terms))
    words = labels(language)
    message = words["found"] if answered else (words["not_found"] if hits else words["empty"])
    return Answer(
        question=question, language=language, answered=answered, confidence=confidence, threshold=threshold,
        evidence=tuple(_evidence(marked[k], span, score) for score, k, span in chosen),
        hits=tuple(marked), message=message,
    )  # fmt: skip


def threshold_for(model: str, language: str = "id") -> float:
    """Return the calibrated no-answer threshold of a model for a question language.

    Uncalibrated models always answer. An English question scores lower against Indonesian
    text than the same question asked in Indonesian; its threshold is lowered by that gap.
    """
    return THRESHOLDS.get(model, float("-inf")) + LANGUAGE_OFFSETS.get(model, {}).get(language, 0.0)
