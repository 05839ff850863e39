"""Lexical analysis for the BM25 side: tokens, regulation references, stop words and stems.

Government texts need tokens a general analyser loses: two-letter acronyms (UU, PP, KK),
hyphenated terms (e-KTP, e-government), numbers, and regulation references. A reference is
written many ways ("UU No. 25 Tahun 2009", "UU 25/2009", "Undang-Undang Nomor 25 Tahun 2009",
"Law No. 25 of 2009"); all of them become the one token ``uu_25_2009``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from egov_qa.stemmer import stem

ANALYZER_VERSION = 1

# canonical type -> the ways it is written (lower-case, regex fragments); longer forms first
_REF_TYPES: dict[str, tuple[str, ...]] = {
    "perppu": (r"peraturan\s+pemerintah\s+pengganti\s+undang[\s-]*undang", r"perppu", r"perpu"),
    "uu": (r"undang[\s-]*undang", r"uu", r"laws?", r"acts?"),
    "pp": (r"peraturan\s+pemerintah", r"pp", r"government\s+regulations?"),
    "perpres": (r"peraturan\s+presiden", r"perpres", r"presidential\s+regulations?"),
    "keppres": (r"keputusan\s+presiden", r"keppres", r"kepres", r"presidential\s+decrees?"),
    "inpres": (r"instruksi\s+presiden", r"inpres", r"presidential\s+instructions?"),
    "permen": (r"peraturan\s+menteri", r"permen[a-z-]*", r"ministerial\s+regulations?", r"minister\s+regulations?"),
    "kepmen": (r"keputusan\s+menteri", r"kepmen[a-z-]*", r"ministerial\s+decrees?"),
    "perda": (r"peraturan\s+daerah", r"perda", r"regional\s+regulations?"),
    "pergub": (r"peraturan\s+gubernur", r"pergub", r"governor\s+regulations?"),
    "perbup": (r"peraturan\s+bupati", r"perbup", r"regent\s+regulations?"),
    "perwal": (r"peraturan\s+wali[\s-]*kota", r"perwali?", r"mayor\s+regulations?"),
    "perban": (r"peraturan\s+badan", r"peraturan\s+lembaga", r"perban", r"agency\s+regulations?"),
    "se": (r"surat\s+edaran", r"circular\s+letters?"),
}
_TYPE_OF = {}
_alternatives = []
for _canon, _forms in _REF_TYPES.items():
    for _i, _form in enumerate(_forms):
        _group = f"t_{_canon}_{_i}"
        _TYPE_OF[_group] = _canon
        _alternatives.append(f"(?P<{_group}>{_form})")
# an optional name between the type and the number: "Peraturan Menteri Dalam Negeri Nomor 7 ...",
# "Undang-Undang Republik Indonesia Nomor 25 ..." (only when "Nomor"/"No." follows)
_FILLER = r"(?:\s+(?!nomor\b|no\b|number\b)[a-z()/&,.-]+){0,8}?"
_NUMBER = r"(?P<num>\d{1,4}[a-z]?)"
_YEAR = r"(?P<year>(?:19|20)\d{2})"
_REFERENCE = re.compile(
    r"\b(?:" + "|".join(_alternatives) + r")"
    r"(?:"
    + _FILLER
    + r"\s*(?:nomor|no\.?|number|num\.?|nr\.?)\s*"
    + _NUMBER
    + r"(?:\s*(?:tahun|th\.?|thn\.?|of(?:\s+the\s+year)?|year)\s*|\s*/\s*|\s+)"
    + _YEAR
    + r"|\s*"
    + _NUMBER.replace("num", "num2")
    + r"\s*(?:/|\s+tahun\s+|\s+of\s+)\s*"
    + _YEAR.replace("year", "year2")
    + r")\b",
    re.IGNORECASE,
)
_ARTICLE = re.compile(r"\b(?:pasal|article)\s+(\d{1,4}[a-z]?)\b", re.IGNORECASE)
# a word: letters and digits, with inner hyphens or apostrophes (e-KTP, undang-undang)
WORD = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*")

STOPWORDS = frozenset(
    """
    ada adalah adanya agar akan akan akhirnya aku anda antara apa apabila apakah atas atau
    bagaimana bagi bahkan bahwa banyak baru beberapa begitu belum berapa berbagai bisa boleh
    bukan cukup dalam dan dapat dari daripada demikian dengan di dia dilakukan dimana diri
    hal hanya harus hingga ia ialah ini itu jadi jika juga kalau kami kamu kapan karena ke
    kecuali kemudian kenapa kepada ketika kini kita lagi lain lainnya lalu lebih maka mana
    masih melalui memiliki mengenai mengapa menjadi menurut mereka merupakan meski misalnya
    mungkin namun nya oleh pada padahal para per pula pun saat saja salah sama sampai sangat
    satu saya se sebagai sebagaimana sebelum sebuah secara sedang sehingga sejak selain selama
    seluruh semua sendiri seperti serta sesuai setelah setiap siapa suatu sudah supaya tak
    tanpa telah tentang terhadap termasuk tersebut tetapi tidak untuk walau walaupun yaitu
    yakni yang
    a about after all also an and any are as at be been being but by can could did do does
    for from had has have how if in into is it its may more most must no not of on or other
    our should so such than that the their them there these they this those through to under
    was we were what when where which while who whom why will with would you your
    """.split()
)


@dataclass(frozen=True, slots=True)
class Reference:
    """A normalised regulation reference found in a text."""

    kind: str
    number: str
    year: str
    start: int
    end: int

    @property
    def token(self) -> str:
        """The index token, e.g. ``uu_25_2009``."""
        return f"{self.kind}_{self.number}_{self.year}"


def references(text: str) -> list[Reference]:
    """Return every regulation reference in ``text``, normalised, in text order."""
    out = []
    for m in _REFERENCE.finditer(text):
        group = next(g for g, v in m.groupdict().items() if g.startswith("t_") and v is not None)
        number = (m.group("num") or m.group("num2")).lower().lstrip("0") or "0"
        year = m.group("year") or m.group("year2")
        out.append(Reference(_TYPE_OF[group], number, year, m.start(), m.end()))
    return out


def is_acronym(word: str) -> bool:
    """Tell an acronym (UU, KK, NIK, BPJS, KemenPAN) from an upper-case ordinary word in a title."""
    letters = [c for c in word if c.isalpha()]
    upper = sum(c.isupper() for c in letters)
    return len(letters) >= 2 and (upper == len(letters) and len(letters) <= 5 or 2 <= upper < len(letters))


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
    terms += [f"pasal_{m.group(1).lower()}" for m in _ARTICLE.finditer(text)]
    for m in WORD.finditer(text):
        terms += word_terms(m.group())
    return terms
