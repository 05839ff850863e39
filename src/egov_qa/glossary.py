"""The bilingual e-government glossary (English <-> Indonesian), shipped as package data.

Used to expand English questions for the lexical side of search (an English word seldom
occurs in Indonesian text, its glossary translation does) and by the app for tooltips.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from egov_qa.analysis import STOPWORDS, WORD

_MAX_PHRASE = 8


@dataclass(frozen=True, slots=True)
class Entry:
    """One glossary entry: an English term, its Indonesian renderings (preferred first), a domain."""

    english: str
    indonesian: tuple[str, ...]
    domain: str


@dataclass(frozen=True, slots=True)
class Expansion:
    """What the glossary made of an English question.

    ``indonesian`` holds the renderings of every matched term; ``coverage`` is the share of
    the question's content words that a glossary term covered (0 when it has none).
    """

    entries: tuple[Entry, ...]
    indonesian: tuple[str, ...]
    coverage: float


def _key(text: str) -> tuple[str, ...]:
    return tuple(_norm(w) for w in WORD.findall(text))


def _norm(word: str) -> str:
    """Case-fold and undo a regular English plural (services -> service, policies -> policy)."""
    w = word.lower()
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    return w


class Glossary:
    """Entries indexed for longest-match lookup in English text and by Indonesian term."""

    def __init__(self, entries: list[Entry]) -> None:
        """Index ``entries`` (later duplicates of an English term add renderings)."""
        self._by_english: dict[tuple[str, ...], Entry] = {}
        for e in entries:
            key = _key(e.english)
            old = self._by_english.get(key)
            if old is not None:
                e = Entry(old.english, tuple(dict.fromkeys(old.indonesian + e.indonesian)), old.domain)
            self._by_english[key] = e
        self._pattern: re.Pattern[str] | None = None
        self._by_indonesian: dict[str, list[Entry]] = {}
        for e in self._by_english.values():
            for term in e.indonesian:
                self._by_indonesian.setdefault(term.lower(), []).append(e)

    def __len__(self) -> int:
        """Return the number of English terms."""
        return len(self._by_english)

    @property
    def entries(self) -> list[Entry]:
        """Every entry, sorted by English term."""
        return sorted(self._by_english.values(), key=lambda e: e.english.lower())

    def glosses(self, text: str) -> list[tuple[int, int, str]]:
        """Return (start, end, English) of the Indonesian glossary terms in ``text`` (longest match, no overlaps)."""
        if self._pattern is None:
            terms = sorted(self._by_indonesian, key=len, reverse=True)
            self._pattern = re.compile(r"(?<![\w-])(?:" + "|".join(map(re.escape, terms)) + r")(?![\w-])", re.I)
        out = []
        for m in self._pattern.finditer(text):
            entries = self._by_indonesian.get(m.group().lower())
            if entries:
                out.append((m.start(), m.end(), "; ".join(dict.fromkeys(e.english for e in entries))))
        return out

    def english(self, indonesian: str) -> list[Entry]:
        """Return the entries whose Indonesian rendering is ``indonesian`` (case-insensitive)."""
        return list(self._by_indonesian.get(indonesian.strip().lower(), []))

    def expand(self, question: str) -> Expansion:
        """Find glossary terms in an English ``question``, longest match first, left to right."""
        words = WORD.findall(question)
        keys = [_norm(w) for w in words]
        content = [i for i, k in enumerate(keys) if k not in STOPWORDS and words[i].lower() not in STOPWORDS]
        covered: set[int] = set()
        found: list[Entry] = []
        i = 0
        while i < len(keys):
            for n in range(min(_MAX_PHRASE, len(keys) - i), 0, -1):
                entry = self._by_english.get(tuple(keys[i : i + n]))
                if entry is not None:
                    found.append(entry)
                    covered.update(range(i, i + n))
                    i += n
                    break
            else:
                i += 1
        coverage = len(covered.intersection(content)) / len(content) if content else 0.0
        renderings = tuple(dict.fromkeys(t for e in found for t in e.indonesian))
        return Expansion(tuple(dict.fromkeys(found)), renderings, coverage)


def _parse(text: str) -> list[Entry]:
    entries = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#") or line.startswith("english\t"):
            continue
        fields = line.split("\t")
        if len(fields) != 3 or not fields[0].strip() or not fields[1].strip():
            raise ValueError(f"glossary line {n}: expected english<TAB>indonesian<TAB>domain, got {line!r}")
        renderings = tuple(t.strip() for t in fields[1].split(";") if t.strip())
        entries.append(Entry(fields[0].strip(), renderings, fields[2].strip()))
    return entries


@lru_cache(maxsize=1)
def load_glossary() -> Glossary:
    """Return the glossary shipped with egov-qa (read once)."""
    text = resources.files("egov_qa").joinpath("data/glossary.tsv").read_text(encoding="utf-8")
    return Glossary(_parse(text))
