"""Regulation references ("UU No. 25 Tahun 2009", "Law 25/2009") and article numbers, normalised.

A reference is written many ways ("UU No. 25 Tahun 2009", "UU 25/2009", "Undang-Undang Nomor
25 Tahun 2009", "UNDANG-UNDANG REPUBLIK INDONESIA NOMOR 25 TAHUN 2009", "Law No. 25 of 2009");
all of them become the one token ``uu_25_2009``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# canonical type -> the ways it is written (lower-case, regex fragments); longer forms first
_REF_TYPES: dict[str, tuple[str, ...]] = {
    "perppu": (r"peraturan\s+pemerintah\s+pengganti\s+undang[\s-]*undang", r"perppu", r"perpu"),
    "uu": (r"undang[\s-]*undang", r"uu", r"laws?", r"acts?"),
    "pp": (r"peraturan\s+pemerintah", r"pp", r"government\s+regulations?"),
    "perpres": (r"peraturan\s+presiden", r"perpres", r"presidential\s+regulations?"),
    "keppres": (r"keputusan\s+presiden", r"keppres", r"kepres", r"presidential\s+decrees?"),
    "inpres": (r"instruksi\s+presiden", r"inpres", r"presidential\s+instructions?"),
    "permen": (
        r"peraturan\s+menteri",
        r"permen[a-z-]*",
        r"pmk",
        r"pma",
        r"ministerial\s+regulations?",
        r"minister\s+regulations?",
    ),  # fmt: skip
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
    # "Permen PANRB 31/2014", "Permenko Perekonomian 1/2020": the issuer may stand between, capitalised
    + r"|\s*(?:(?-i:[A-Z][A-Za-z]{1,13})\s+){0,2}"
    + _NUMBER.replace("num", "num2")
    + r"\s*(?:/|\s+tahun\s+|\s+of\s+)\s*"
    + _YEAR.replace("year", "year2")
    + r")\b",
    re.IGNORECASE,
)
ARTICLE = re.compile(r"\b(?:pasal|article)\s+(\d{1,4}[a-z]?)\b", re.IGNORECASE)


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


def article_terms(text: str) -> list[str]:
    """Return the article tokens of ``text`` ("Pasal 13", "Article 13" -> ``pasal_13``)."""
    return [f"pasal_{m.group(1).lower()}" for m in ARTICLE.finditer(text)]
