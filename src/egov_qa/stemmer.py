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


# --- one stem per word, for the lexical index -------------------------------------------------
#
# The lexical index needs a single, consistent stem per word (the same word family must land on
# the same string), not the candidate sets above. Without a root dictionary some words come out
# "wrong" (keluarga -> luarga) but every member of a family comes out the same, which is what
# BM25 needs. Words that the rules would mangle and that matter in government texts are listed.

_KEEP = frozenset(
    """
    digital digitalisasi menteri sekolah masalah jumlah sejumlah pemilu pemilih daerah kereta
    sepeda selular seluler sekretaris sekretariat sektor sertifikat sertifikasi semester senat
    teritorial terminal teori teknis teknologi beras berita benar besar beton belanja
    perlu pertama persen peran pers perdana pegawai kepala keluarga kelas kelurahan kecamatan
    tangan kabupaten kota desa provinsi negara negeri nasional internasional lokal regional global
    """.split()
)
_CLUSTERS = frozenset("pr tr kr br bl pl gr dr fr kl gl fl sl sp st sk sw ny ng sy kh".split())
_VOWELS = frozenset("aiueo")
_MIN_ROOT = 4


def _plausible(rest: str) -> bool:
    """Tell whether ``rest`` can be a root: a vowel, a consonant + vowel, or a known cluster first."""
    if len(rest) < _MIN_ROOT:
        return False
    return rest[0] in _VOWELS or rest[1] in _VOWELS or rest[:2] in _CLUSTERS


def _strip_suffixes(word: str) -> str:
    for particle in ("lah", "kah", "pun"):
        if word.endswith(particle) and len(word) - 3 >= _MIN_ROOT:
            word = word[:-3]
            break
    if word.endswith("nya") and len(word) - 3 >= _MIN_ROOT:
        word = word[:-3]
    # ke-...-an and pe(N/r)-...-an are nouns: "kebijakan" is kebijak-an, not kebija-kan
    noun = word.startswith(("ke", "pe"))
    if word.endswith("kan") and len(word) - 3 >= _MIN_ROOT and not noun:
        return word[:-3]
    if word.endswith("an") and len(word) - 2 >= _MIN_ROOT:
        return word[:-2]
    if word.endswith("i") and len(word) - 1 >= _MIN_ROOT and word[-2] not in _VOWELS:
        return word[:-1]
    return word


# nasal prefix -> {first letter of the rest: letter to put back ("" = none)}; "V" = any vowel
_NASALS: tuple[tuple[str, dict[str, str]], ...] = (
    ("meny", {"V": "s"}), ("peny", {"V": "s"}),
    ("meng", {"V": "", "g": "", "h": "", "k": ""}), ("peng", {"V": "", "g": "", "h": "", "k": ""}),
    ("mem", {"V": "p", "b": "", "f": "", "v": "", "p": ""}), ("pem", {"V": "p", "b": "", "f": "", "v": "", "p": ""}),
    ("men", {"V": "t", "d": "", "c": "", "j": "", "z": ""}), ("pen", {"V": "t", "d": "", "c": "", "j": "", "z": ""}),
)  # fmt: skip


def _strip_nasal(word: str) -> tuple[str, bool] | None:
    for prefix, rules in _NASALS:
        if not word.startswith(prefix) or len(word) <= len(prefix):
            continue
        rest = word[len(prefix) :]
        first = "V" if rest[0] in _VOWELS else rest[0]
        if first in rules:
            # a melted letter put back, or a nasal form that takes no further prefix, ends stripping
            return rules[first] + rest, first == "V" or prefix not in ("mem", "pem")
        if prefix in ("men", "pen") and rest.startswith("sy"):
            return rest, True
    return None


def _strip_inner_prefix(word: str) -> tuple[str, bool] | None:
    """Strip one of meN-, peN-, ber-, per-, ter-, pe-, be-; None when none applies.

    Returns the rest and whether it is final: a nasal prefix that gave back a melted first
    letter (menerbitkan -> terbit) leaves a whole root that must not be stripped again.
    """
    nasal = _strip_nasal(word)
    if nasal is not None:
        return nasal
    if word.startswith(("ber", "per", "ter")) and _plausible(word[3:]):
        return word[3:], False
    if word.startswith("me") and word[2:3] in ("l", "r", "w", "y", "m", "n"):
        return word[2:], True
    if word.startswith("pe") and word[2:3] not in _VOWELS and _plausible(word[2:]):
        return word[2:], True
    if word.startswith("be") and word[3:5] == "er" and word[2:3] not in _VOWELS:
        return word[2:], True
    return None


def stem(word: str) -> str:
    """Return the one stem of an Indonesian word used by the lexical index (lower-cased).

    Suffixes first (particle, -nya, then one of -kan/-an/-i), then at most one of di-/ke-/se-,
    then up to two of meN-/peN-/ber-/per-/ter-/pe-/be-; a strip is only taken when a plausible
    root of at least four letters is left.
    """
    word = word.lower()
    if len(word) <= _MIN_ROOT or word in _KEEP or not word.isalpha():
        return word
    word = _strip_suffixes(word)
    if word in _KEEP:
        return word
    for outer in ("di", "ke", "se"):
        rest = word[2:]
        # a three-letter root only after a vowel-initial cut: diadu -> adu, diisi -> isi (not dinas -> nas)
        if word.startswith("seny"):  # senyum, senyap: not se- + a root
            break
        if word.startswith(outer) and (_plausible(rest) or (len(rest) == 3 and rest[0] in _VOWELS)):
            word = word[2:]
            break
    for _ in range(2):
        stripped = None if word in _KEEP else _strip_inner_prefix(word)
        if stripped is None or len(stripped[0]) < _MIN_ROOT - 1:
            break
        word, final = stripped
        if final:
            break
    return word
