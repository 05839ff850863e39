"""Answers with evidence: the best evidence units across passages, the confidence, the message."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from egov_qa.analysis import question_terms, term_spans
from egov_qa.evidence import ScoredUnit
from egov_qa.messages import labels
from egov_qa.modelprep import DEFAULT_MODEL
from egov_qa.records import Answer, Evidence, Hit
from egov_qa.search import lexical_query

MAX_EVIDENCE = 3

# Calibrated for the default model and DEFAULT_WEIGHTS on IDK-MRC train questions asked against
# the pooled corpus: the best abstention F1 among thresholds that still answer at least 80 % of
# the answerable questions (the unconstrained F1-best, 1.3627, abstained on 55 % of them).
# benchmarks/bench_qa.py, docs/BENCHMARKS.md.
THRESHOLDS: dict[str, float] = {DEFAULT_MODEL: 1.3228}
# Added to the threshold of English questions: on 100 NusaX sentence pairs asked both ways against
# the pooled IDK-MRC paragraphs, the English version scored a median 0.0562 lower (99 % of pairs).
LANGUAGE_OFFSETS: dict[str, dict[str, float]] = {DEFAULT_MODEL: {"en": -0.0562}}


def _evidence(hit: Hit, unit: ScoredUnit) -> Evidence:
    start, end = unit.span
    return Evidence(
        text=hit.text[start:end], citation=hit.citation, score=unit.score, hit_rank=hit.rank,
        chunk_id=hit.chunk_id, start=hit.start + start, end=hit.start + end, chunk_start=start, chunk_end=end,
    )  # fmt: skip


def _distinct(hits: Sequence[Hit], scored: Sequence[ScoredUnit]) -> list[ScoredUnit]:
    """Return the best units whose text differs (overlapping passages repeat sentences), at most MAX_EVIDENCE."""
    chosen: list[ScoredUnit] = []
    seen: set[str] = set()
    for unit in scored:
        text = " ".join(hits[unit.hit].text[unit.span[0] : unit.span[1]].split())
        if text not in seen:
            seen.add(text)
            chosen.append(unit)
        if len(chosen) == MAX_EVIDENCE:
            break
    return chosen


def marked_terms(question: str, language: str) -> frozenset[str]:
    """Return the index terms whose words are marked in the passages as the question's.

    An Indonesian question's own content words; an English one's through the glossary
    (complaint → pengaduan), with its acronyms, numbers and names; none for other languages.
    """
    if language == "id":
        return question_terms(question)
    if language == "en":
        return frozenset(t for t in lexical_query(question, language).terms if "_" not in t)
    return frozenset()


def build_answer(
    question: str, language: str, hits: Sequence[Hit], scored: Sequence[ScoredUnit], threshold: float
) -> Answer:
    """Assemble the Answer from highlighted hits and their scored units: evidence, term marks, message."""
    chosen = _distinct(hits, scored)
    confidence = chosen[0].score if chosen else 0.0
    answered = bool(chosen) and confidence >= threshold
    terms = marked_terms(question, language)
    evidence_spans: dict[int, set[tuple[int, int]]] = {}
    for unit in chosen:
        evidence_spans.setdefault(unit.hit, set()).add(unit.span)
    marked = [
        replace(
            hit,
            highlights=tuple(sorted(set(hit.highlights) | evidence_spans.get(k, set()))),
            terms=term_spans(hit.text, terms),
        )
        for k, hit in enumerate(hits)
    ]
    words = labels(language)
    message = words["found"] if answered else (words["not_found"] if hits else words["empty"])
    return Answer(
        question=question, language=language, answered=answered, confidence=confidence, threshold=threshold,
        evidence=tuple(_evidence(marked[u.hit], u) for u in chosen), hits=tuple(marked), message=message,
    )  # fmt: skip


def threshold_for(model: str, language: str = "id") -> float:
    """Return the calibrated no-answer threshold of a model for a question language.

    Uncalibrated models always answer. An English question scores lower against Indonesian
    text than the same question asked in Indonesian; its threshold is lowered by that gap.
    """
    return THRESHOLDS.get(model, float("-inf")) + LANGUAGE_OFFSETS.get(model, {}).get(language, 0.0)
