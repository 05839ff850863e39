"""Answers with evidence: the best evidence units across passages, the calibrated confidence, the short answer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from egov_qa.analysis import STOPWORDS, WORD, analyze, term_spans, word_terms
from egov_qa.answer_model import AnswerModel, calibration_row, distinct, load_answer_model, probability
from egov_qa.evidence import ScoredUnit, Scoring
from egov_qa.glossary import load_glossary
from egov_qa.messages import labels
from egov_qa.modelprep import DEFAULT_MODEL
from egov_qa.records import Answer, Evidence, Hit
from egov_qa.regulation.cite import CitationQuery
from egov_qa.search import neutral_words
from egov_qa.shortanswer import short_answer

MAX_EVIDENCE = 3
# a looked-up ayat or Pasal is given whole, up to this many sentences
MAX_CITED_SENTENCES = 6
# A pasted paragraph would otherwise have nearly every word of the passage marked.
MAX_MARKED_TERMS = 12
# Words that frame a question rather than say what it is about: not marked in the passages.
_FRAME_WORDS = frozenset(
    """
    sebutkan jelaskan tuliskan cara bagaimanakah apakah siapakah kapankah berapakah dimanakah
    maksud dimaksud arti pengertian definisi contoh jenis macam tahun berapa
    explain describe name list tell way ways does
    """.split()
)


def _evidence(hit: Hit, unit: ScoredUnit, answer_span: tuple[int, int] | None) -> Evidence:
    start, end = unit.span
    return Evidence(
        text=hit.text[start:end], citation=hit.citation_at(start), score=unit.score, hit_rank=hit.rank,
        chunk_id=hit.chunk_id, start=hit.start + start, end=hit.start + end, chunk_start=start, chunk_end=end,
        answer=answer_span,
    )  # fmt: skip


def _distinct(scoring: Scoring) -> list[ScoredUnit]:
    """Return the best units whose text differs (overlapping passages repeat sentences), at most MAX_EVIDENCE."""
    by_row = {unit.candidate: unit for unit in scoring.units}
    rows = distinct([unit.candidate for unit in scoring.units], scoring.candidates.texts, MAX_EVIDENCE)
    return [by_row[i] for i in rows]


def term_groups(question: str, language: str) -> tuple[frozenset[str], ...]:
    """Return the question's terms as they occur in Indonesian text, one group per word or glossary term.

    An Indonesian question: one group per content word (not the words that frame a question,
    such as "sebutkan" or "pengertian"). An English one: per glossary term the terms of all its
    Indonesian renderings (complaint → pengaduan, aduan, keluhan), and its acronyms, numbers and
    names as they are. Other languages: none. At most ``MAX_MARKED_TERMS`` groups, in the
    question's order.
    """
    groups: list[frozenset[str]] = []
    if language == "id":
        words = [m.group() for m in WORD.finditer(question) if m.group().lower() not in _FRAME_WORDS]
        groups = [frozenset(word_terms(w)) for w in words]
    elif language == "en":
        groups = [frozenset(word_terms(w)) for w in neutral_words(question)]
        for entry in load_glossary().expand(question).entries:
            renderings = frozenset(t for rendering in entry.indonesian for t in analyze(rendering) if "_" not in t)
            overlapping = [g for g in groups if g & renderings]  # e-government: the word and its entry
            groups = [g for g in groups if not g & renderings] + [renderings.union(*overlapping)]
    unique = [g for g in dict.fromkeys(g - STOPWORDS - _FRAME_WORDS for g in groups) if g]
    return tuple(unique[:MAX_MARKED_TERMS])


def marked_terms(question: str, language: str) -> frozenset[str]:
    """Return the index terms whose words are marked in the passages as the question's (see :func:`term_groups`)."""
    return frozenset().union(*term_groups(question, language))


def confidence_of(scoring: Scoring, chosen: Sequence[ScoredUnit], model: AnswerModel) -> float:
    """Return the calibrated probability that the best unit answers the question."""
    if not chosen:
        return 0.0
    runner = chosen[1].candidate if len(chosen) > 1 else None
    row = calibration_row(scoring.candidates, scoring.scores, chosen[0].candidate, runner)
    calibrator = model.calibrator if scoring.read else model.calibrator_without_reader
    return probability(float(calibrator(row[None, :])[0]))


def build_answer(
    question: str,
    language: str,
    hits: Sequence[Hit],
    scoring: Scoring,
    threshold: float,
    model: AnswerModel | None = None,
) -> Answer:
    """Assemble the Answer: evidence and short answer when the confidence reaches ``threshold``, term marks, message.

    A declined answer marks no sentence as evidence: its passages are the closest ones, shown as
    just that.
    """
    model = model or load_answer_model()
    chosen = _distinct(scoring)
    confidence = confidence_of(scoring, chosen, model)
    answered = bool(chosen) and confidence >= threshold
    terms = marked_terms(question, language)
    if not answered:
        chosen = []
    evidence_spans: dict[int, set[tuple[int, int]]] = {}
    for unit in chosen:
        evidence_spans.setdefault(unit.hit, set()).add(unit.span)
    marked = [
        replace(
            hit,
            highlights=tuple(sorted(set(hit.highlights) | evidence_spans.get(k, set()))) if answered else (),
            terms=term_spans(hit.text, terms),
        )
        for k, hit in enumerate(hits)
    ]
    short = None
    qtype = scoring.candidates.qtype
    if chosen and confidence >= model.short_answer_cutoffs.get(qtype, float("inf")):
        top = hits[chosen[0].hit].text[chosen[0].span[0] : chosen[0].span[1]]
        short = short_answer(qtype, scoring.candidates.question_terms, top)
    evidence = tuple(_evidence(marked[u.hit], u, short if i == 0 else None) for i, u in enumerate(chosen))
    words = labels(language)
    message = words["found"] if answered else (words["not_found"] if hits else words["empty"])
    return Answer(
        question=question, language=language, answered=answered, confidence=confidence, threshold=threshold,
        evidence=evidence, hits=tuple(marked), message=message,
    )  # fmt: skip


def cited_answer(question: str, language: str, hits: Sequence[Hit], cited: CitationQuery) -> Answer:
    """Answer a citation lookup ("Pasal 44 ayat (3) UU 25/2009"): the unit named is the evidence.

    ``hits[0]`` holds the unit; its sentences in the named ayat or huruf (all of them when none
    is named) are the evidence, with the sentence's own citation. The lookup is exact, so the
    confidence is 1.0; the evidence scores are 0.0 (no scorer ranked them).
    """
    top = hits[0]
    wanted = set(cited.items)
    located = top.location
    spans = [
        (s, e) for s, e in top.sentences
        if located is None or not wanted or wanted <= set(located.at(s).path)
    ] or list(top.sentences)  # fmt: skip
    spans = spans[:MAX_CITED_SENTENCES]
    terms = marked_terms(question, language)
    marked = [replace(h, highlights=tuple(spans) if k == 0 else h.highlights, terms=term_spans(h.text, terms))
              for k, h in enumerate(hits)]  # fmt: skip
    evidence = tuple(
        Evidence(text=top.text[s:e], citation=top.citation_at(s), score=0.0, hit_rank=top.rank,
                 chunk_id=top.chunk_id, start=top.start + s, end=top.start + e, chunk_start=s, chunk_end=e)
        for s, e in spans
    )  # fmt: skip
    return Answer(
        question=question, language=language, answered=True, confidence=1.0, threshold=0.0,
        evidence=evidence, hits=tuple(marked), message=labels(language)["found"],
    )  # fmt: skip


def threshold_for(model_name: str, model: AnswerModel | None = None, *, read: bool = True) -> float:
    """Return the probability under which an answer is "not found" for an embedding model.

    The calibrators were fitted on the default model's cosines; other models always answer.
    ``read``: whether the answer reader read the passages (each calibrator has its threshold).
    """
    if model_name != DEFAULT_MODEL:
        return 0.0
    model = model or load_answer_model()
    return model.threshold if read else model.threshold_without_reader
