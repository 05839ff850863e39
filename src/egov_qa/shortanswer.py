"""The short answer: the phrase inside the evidence sentence that answers a who/when/how-many/where/what-is question.

Rules by question type, over the sentence only: the first date for Kapan / when, the first
number with its unit for Berapa / how many, the first name for Siapa / who, the first name
after di / ke / dari for Di mana / where, the phrase after "adalah / merupakan / yaitu" for
Apa itu / what is. A candidate that repeats the question's own words is passed over (the
question's subject is not its answer). Which types are shown at all is decided by measurement
(``data/answer_model.json``: only types whose spans were right often enough on training data).
"""

from __future__ import annotations

import re

from egov_qa.analysis import Span, analyze
from egov_qa.analysis.qtypes import DATE, DEFINITION, NAME, NUMBER, PLACE_CUE, REASON, STEPS, QType, names

# a definition runs to the end of its sentence (as gold answers do), at most this many words
_MAX_WORDS = 30
_CITATIONS = re.compile(r"\[\d+\]")
_TRAILING_CITATION = re.compile(r"\[\d+\]$")
_NAME_CUE = re.compile(r"\b(?:oleh|yaitu|yakni|adalah|bernama|ialah|by|named|is)\s*$|:\s*$", re.IGNORECASE)
_REGION = re.compile(r",\s+[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*)*")


def _new(span_text: str, question_terms: frozenset[str]) -> bool:
    terms = set(analyze(span_text))
    return bool(terms) and not terms <= question_terms


def _trim(sentence: str, start: int, end: int) -> Span:
    """Drop quotes, brackets, closing punctuation and citation marks ("[2]") from both ends."""
    while start < end and sentence[start] in " \t\n\"'“”(":
        start += 1
    while end > start:
        cite = _TRAILING_CITATION.search(sentence, start, end)
        if cite:
            end = cite.start()
        elif sentence[end - 1] in " \t\n.,;:\"'“”)":
            end -= 1
        else:
            break
    return start, end


def _ranked_names(sentence: str, spans: list[Span], question_terms: frozenset[str]) -> list[Span]:
    """Names after a cue ("oleh", "yaitu", "bernama") first, then names sharing no word with the question."""

    def key(span: Span) -> tuple[bool, bool]:
        before = sentence[max(0, span[0] - 12) : span[0]]
        return (not _NAME_CUE.search(before), bool(set(analyze(sentence[span[0] : span[1]])) & question_terms))

    return sorted(spans, key=key)


def _with_region(sentence: str, span: Span) -> Span:
    """Extend a place to its region: "Bantul, Yogyakarta", "Maranello, Italia"."""
    m = _REGION.match(sentence, span[1])
    return (span[0], m.end()) if m else span


def _places(sentence: str, question_terms: frozenset[str]) -> list[Span]:
    places = []
    for m in PLACE_CUE.finditer(sentence):
        name = NAME.match(sentence, m.end())
        if name:
            places.append(_with_region(sentence, (name.start(), name.end())))
    return _ranked_names(sentence, places, question_terms)


def _definition(sentence: str) -> list[Span]:
    m = DEFINITION.search(sentence)
    if not m:
        return []
    after = m.end()
    while more := DEFINITION.match(sentence, after + len(sentence[after:]) - len(sentence[after:].lstrip())):
        after = more.end()  # "merupakan singkatan dari": the answer follows the last cue
    words = [w for w in re.finditer(r"\S+", sentence[after:]) if not _CITATIONS.fullmatch(w.group())][:_MAX_WORDS]
    return [(after + words[0].start(), after + words[-1].end())] if words else []


def _candidates(qtype: QType, question_terms: frozenset[str], sentence: str) -> list[Span]:
    """Return the spans that may answer a question of ``qtype``, the likeliest first."""
    if qtype == "when":
        return [_strip_lead(sentence, m.start(), m.end()) for m in DATE.finditer(sentence)]
    if qtype == "number":
        return [(m.start(), m.end()) for m in NUMBER.finditer(sentence)]
    if qtype == "who":
        return _ranked_names(sentence, names(sentence), question_terms)
    if qtype == "where":
        return _places(sentence, question_terms)
    if qtype == "definition":
        return _definition(sentence)
    return []


def short_answer(qtype: QType, question_terms: frozenset[str], sentence: str) -> Span | None:
    """Return the answer phrase's span in ``sentence``, or None where no rule finds one."""
    for start, end in _candidates(qtype, question_terms, sentence):
        start, end = _trim(sentence, start, end)
        if end > start and _new(sentence[start:end], question_terms):
            return start, end
    return None


SHORT_ANSWER_TYPES: frozenset[str] = frozenset({"when", "number", "who", "where", "definition"})

_LEADS = re.compile(r"^(?:tahun|year|sejak|since|pada|in|tanggal)\s+", re.IGNORECASE)


def _strip_lead(sentence: str, start: int, end: int) -> Span:
    """Drop a leading "tahun / pada / since" from a date: the answer is the date itself."""
    m = _LEADS.match(sentence[start:end])
    return (start + m.end(), end) if m else (start, end)


def holds(qtype: QType, question_terms: frozenset[str], sentence: str) -> bool:
    """Tell whether ``sentence`` holds what a question of ``qtype`` asks for.

    A date, number, name, place or definition that is not the question's own words (found as
    the short answer is); for why and how questions, a reason or manner cue word.
    """
    if qtype == "why":
        return bool(REASON.search(sentence))
    if qtype == "how":
        return bool(STEPS.search(sentence))
    return short_answer(qtype, question_terms, sentence) is not None
