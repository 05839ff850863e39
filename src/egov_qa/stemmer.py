"""A light Indonesian stemmer and question-term matching with character offsets."""

from __future__ import annotations

import re
from collections.abc import Iterable

Span = tuple[int, int]

_WORD = re.compile(r"[A-Za-zÀ-ÿ0-9]+(?:-[A-Za-zÀ-ÿ0-9]+)*")
_PARTICLES = ("lah", "kah", "tah", "pun")
_POSSESSIVES = ("nya", "ku", "mu")
_SUFFIXES = ("kan", "an", "i")
_MIN_STEM = 3
STOPWORDS = frozenset(
    """
    ada adalah agar akan akhirnya aku anda apa apakah atas atau bagaimana bagi bahwa banyak
    beberapa begitu belum berapa bisa boleh bukan dalam dan dapat dari daripada dengan di dia
    dimana ini itu jadi jika juga kalau kami kamu kapan karena ke kenapa kepada ketika kita lagi
    lain lalu maka mana masih mengapa menjadi mereka merupakan meski mungkin namun oleh pada
    para saat saja sampai sangat saya se sebagai sebelum secara sedang sehingga sejak selain
    seperti serta setelah siapa suatu sudah supaya tak tanpa telah tentang tersebut tetapi
    tidak untuk walau yaitu yakni yang
    a an and are as at be by can do does for from how in is it of on or that the this to
    was what when where which who why will with
    """.split()
)


_PREFIXES: tuple[tuple[str, tuple[str, ...]], ...] = (
    # prefix, letters that may have melted into it before a vowel ("" = none)
    ("meny", ("s",)), ("peny", ("s",)), ("meng", ("", "k")), ("peng", ("", "k")),
    ("mem", ("p", "")), ("pem", ("p", "")), ("men", ("t", "")), ("pen", ("t", "")),
    ("me", ("",)), ("pe", ("",)), ("ber", ("",)), ("be", ("",)), ("per", ("",)),
    ("ter", ("",)), ("di", ("",)), ("ke", ("",)), ("se", ("",)),
)  # fmt: skip


def _suffix_variants(word: str) -> set[str]:
    out = {word}
    for group in (_PARTICLES, _POSSESSIVES, _SUFFIXES):
        for w in list(out):
            for suf in group:
                if w.endswith(suf) and len(w) - len(suf) >= _MIN_STEM:
                    out.add(w[: -len(suf)])
    return out


def _prefix_variants(word: str) -> set[str]:
    out: set[str] = set()
    for prefix, melted in _PREFIXES:
        rest = word[len(prefix) :]
        if not word.startswith(prefix) or len(rest) < _MIN_STEM:
            continue
        if rest[0] in "aiueo":
            out.update(m + rest for m in melted)
        else:
            out.add(rest)
    return out


def stems(token: str) -> frozenset[str]:
    """Return the candidate stems of a word: itself, without suffixes, and without up to two prefixes.

    Without a root dictionary "mengurus" may be urus or kurus, so both are candidates; two words
    match when their candidate sets meet. Acronyms and hyphenated terms are only case-folded.
    """
    if is_acronym(token):
        return frozenset({token.lower()})
    word = token.lower()
    out = _suffix_variants(word)
    for _ in range(2):
        out |= {p for w in out for p in _prefix_variants(w)}
    return frozenset(out)


def is_acronym(token: str) -> bool:
    """Tell whether a token is kept whole: acronyms (UU, PP, NIK), hyphenated terms (e-KTP), numbers."""
    letters = token.replace("-", "")
    return (
        "-" in token
        or any(c.isdigit() for c in token)
        or (letters.isupper() and len(letters) >= 2)
        or (sum(c.isupper() for c in letters) >= 2 and len(letters) <= 6)
    )


def tokens(text: str) -> list[tuple[str, int, int]]:
    """Return (word, start, end) for every word of ``text``."""
    return [(m.group(), m.start(), m.end()) for m in _WORD.finditer(text)]


def _content(word: str) -> bool:
    return len(word) > 1 and word.lower() not in STOPWORDS


def query_stems(question: str) -> frozenset[str]:
    """Return every candidate stem of a question's content words (stop words dropped)."""
    return frozenset(c for w, _, _ in tokens(question) if _content(w) for c in stems(w))


def term_spans(question: str, text: str, *, wanted: Iterable[str] | None = None) -> tuple[Span, ...]:
    """Return the offsets in ``text`` of content words that share a stem with a word of ``question``."""
    target = frozenset(wanted) if wanted is not None else query_stems(question)
    if not target:
        return ()
    return tuple((s, e) for w, s, e in tokens(text) if _content(w) and stems(w) & target)
