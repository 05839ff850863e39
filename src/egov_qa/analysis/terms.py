"""Index terms: what BM25 stores for a passage and looks up for a question, and where a passage matches.

Government texts need terms a general analyser loses: two-letter acronyms (UU, PP, KK),
hyphenated terms (e-KTP, e-government), numbers, and regulation references. The same function,
:func:`word_terms`, decides the terms of a word for the lexical index and for the question-term
marks, so a word BM25 matched is a word the reader sees marked, and the other way round.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from egov_qa.analysis.references import article_terms, references
from egov_qa.analysis.stemmer import stem
from egov_qa.analysis.tokens import STOPWORDS, WORD, Span, is_acronym, tokens

# Bump when analyze() gives other terms for the same text: indexes built with another version
# get their lexical index rebuilt on the next ingest, without re-embedding.
# 2: roots whose k melted into meng-/peng- (pengelolaan -> kelola)
# 3: an issuer between a type and a number ("Permen PANRB 31/2014"); PMK and PMA as Permen
ANALYZER_VERSION = 3


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    return stem(word)


def word_terms(word: str) -> list[str]:
    """Return the index terms of one word: acronyms and numbers whole, hyphenated terms joined and split."""
    if any(c.isdigit() for c in word):
        return [word.lower().lstrip("0") or "0"] if word.isdigit() else [word.lower()]
    parts = re.split(r"[-'’]", word)
    if len(parts) > 1:
        if len({p.lower() for p in parts}) == 1:  # reduplication: undang-undang, masing-masing
            return word_terms(parts[0])
        joined = "".join(parts).lower()
        return [joined] + [t for p in parts if len(p) >= 2 for t in word_terms(p)]
    lower = word.lower()
    if lower in STOPWORDS or len(lower) < 2:  # before the acronym rule: "DI" in a title in capitals
        return []
    if is_acronym(word):
        return [lower]
    return [_stem(lower)]


def analyze(text: str) -> list[str]:
    """Return the index terms of ``text``: references and Pasal numbers as tokens, then the words."""
    terms = [r.token for r in references(text)]
    terms += article_terms(text)
    for m in WORD.finditer(text):
        terms += word_terms(m.group())
    return terms


def question_terms(question: str) -> frozenset[str]:
    """Return the terms of a question's content words (stop words and single letters give none)."""
    return frozenset(t for m in WORD.finditer(question) for t in word_terms(m.group()))


def term_spans(text: str, terms: Iterable[str]) -> tuple[Span, ...]:
    """Return the offsets of the words of ``text`` that have one of ``terms`` (see :func:`question_terms`)."""
    wanted = frozenset(terms)
    if not wanted:
        return ()
    return tuple((s, e) for w, s, e in tokens(text) if not wanted.isdisjoint(word_terms(w)))
