"""A regulation's identity read from its opening: type, number, year, "tentang" subject and issuer.

OCR noise in the opening ("2O2O", "NOMOR I1", "}.IOMOR", "UNDANG― UNDANG") is read through.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SMALL_WORDS = frozenset("dan di atau atas tentang dalam bagi yang untuk ke dari pada serta oleh dengan".split())


@dataclass(frozen=True, slots=True)
class Identity:
    """Who issued a regulation, what kind it is, its number, year and subject."""

    kind: str
    number: str
    year: str
    title: str = ""
    issuer: str = ""

    @property
    def token(self) -> str:
        """The reference token other regulations name it by, e.g. ``uu_25_2009``."""
        return f"{self.kind}_{self.number}_{self.year}"


def title_case(text: str) -> str:
    """Turn an upper-case regulation subject into title case ("PELAYANAN PUBLIK" -> "Pelayanan Publik")."""
    words = []
    for i, word in enumerate(text.split()):
        lower = word.lower()
        if i > 0 and lower in _SMALL_WORDS:
            words.append(lower)
        elif len(word) <= 3 and word.isupper() and word.isalpha() and lower not in _SMALL_WORDS:
            words.append(word)  # an acronym: ITE, ASN
        else:
            words.append("-".join(p[:1].upper() + p[1:].lower() for p in word.split("-")))
    return " ".join(words)


NOMOR = re.compile(
    r"(?:N|\}\.I|I\{)\s?[O0]\s?M\s?[O0]\s?R\s*:?\s*(?P<num>[0-9OoIlTiL|]{1,5}(?:/[A-Z.0-9]+)*?)\s*"
    r"(?:/|TAHUN\s*)(?P<year>[0-9OoIlTiL|][.]?[0-9OoIlTiL|.]{3,5})"
)
# a ministry's own numbering: "NOMOR 10/PERMEN-KP/2020", "NOMOR : PER- 368/MENKO/POLHUKAM/10/2009"
NOMOR_CODED = re.compile(
    r"N\s?[O0]\s?M\s?[O0]\s?R\s*:?\s*(?:[A-Z]{1,4}\s?[.-]\s?)?(?P<num>\d{1,4})\s*/[^\n]{0,60}?/\s*(?P<year>(?:19|20)\d\d)\b"
)
_KINDS = (  # compact (no spaces, lower-case) forms of the types, longest first
    ("peraturanpemerintahpenggantiundang-undang", "perppu"),
    ("peraturanpemerintahpenggantiundangundang", "perppu"),
    ("peraturanpemerintah", "pp"),
    ("peraturanpresiden", "perpres"),
    ("keputusanpresiden", "keppres"),
    ("instruksipresiden", "inpres"),
    ("peraturanmenteri", "permen"),
    ("peraturanbersama", "permen"),
    ("keputusanbersama", "kepmen"),
    ("keputusanmenteri", "kepmen"),
    ("keputusansekretaris", "kepmen"),
    ("peraturandaerah", "perda"),
    ("peraturangubernur", "pergub"),
    ("peraturanbupati", "perbup"),
    ("peraturanwalikota", "perwal"),
    ("peraturankepala", "perban"),
    ("peraturanbadan", "perban"),
    ("peraturanlembaga", "perban"),
    ("suratedaran", "se"),
    ("undang-undang", "uu"),
    ("undangundang", "uu"),
)


def fix_number(token: str) -> str:
    """Undo OCR's letters for digits in a number ("2O2O" -> "2020", "I1" -> "11", "2.0L8" -> "2018")."""
    return token.replace(".", "").translate(str.maketrans("OoIlTiL|", "00111111"))


def numbered(m: re.Match[str]) -> tuple[str, str]:
    """Return the (number, year) a NOMOR match reads, OCR read through: ("25", "2009")."""
    return fix_number(m.group("num").split("/")[0]).lstrip("0") or "0", fix_number(m.group("year"))[:4]


def fix_numbers(text: str) -> str:
    """Fix OCR'd numbers inside a text: tokens of digits and look-alike letters holding at least one digit."""
    return re.sub(r"\b(?=[0-9OoIlTiL]*\d)[0-9OoIlTiL]{2,4}\b", lambda m: fix_number(m.group()), text)


def kind_before(before: str) -> str | None:
    """Return the type named last in ``before`` (the words ahead of "NOMOR"), e.g. "pp"."""
    compact = re.sub(r"\s+", "", re.sub(r"[‐‑‒–—―]", "-", before.lower()))
    best: tuple[int, int, str] | None = None
    for form, kind in _KINDS:  # the type written last wins; of two ending together, the longer
        at = compact.rfind(form)
        if at >= 0 and (best is None or (at + len(form), len(form)) > best[:2]):
            best = (at + len(form), len(form), kind)
    return best[2] if best else None


def parse_identity(text: str) -> Identity | None:
    """Read a regulation's identity from its opening: type, number, year, "tentang" subject, issuer.

    OCR noise in the opening ("2O2O", "NOMOR I1", "}.IOMOR") is read through. Returns None when
    the opening is not a regulation's (an article, a paper).
    """
    head = text[:3000]
    stop = re.search(r"^[ \t]*(?:Menimbang|Dalam rangka|Sehubungan|MEMUTUSKAN|Mengingat)\b", head, re.MULTILINE)
    opening = head[: stop.start()] if stop else head[:1500]
    tentang = re.search(r"\bTENTANG\b", opening)
    before = opening[: tentang.start() + 12] if tentang else opening  # the number stands before the subject
    found = [m for m in (NOMOR_CODED.search(before), NOMOR.search(before)) if m is not None]
    if not found:
        return None
    m = min(found, key=lambda f: f.start())
    kind = kind_before(opening[max(0, m.start() - 250) : m.start()])
    number, year = numbered(m)
    if kind is None or not number.isdigit() or not re.fullmatch(r"(?:19|20)\d\d", year):
        return None
    rest = opening[m.end() :]
    subject = re.match(r"\s*TENTANG\b(.*?)(?:DENGAN\s+RAHMAT|$)", rest, re.DOTALL | re.IGNORECASE)
    blocks = [b.strip() for b in re.split(r"\n\s*\n", subject.group(1) if subject else "") if b.strip()]
    issuer = blocks.pop() if len(blocks) > 1 and blocks[-1].endswith(",") else ""
    if not issuer:
        after = re.search(r"DENGAN\s+RAHMAT[^\n]*\n\s*((?:[^\n]+\n)*?[^\n]*,)\s*$", rest, re.MULTILINE)
        issuer = after.group(1) if after else ""
    title = fix_numbers(" ".join(" ".join(blocks).split()))[:400]
    title = re.split(r"\.\s|\s(?:Pasal|Menimbang|Mengingat|BAB)\s", title)[0]  # text without line breaks runs on
    issuer = " ".join(issuer.split()).rstrip(" ,")
    return Identity(kind, number, year, title_case(title) if title.isupper() else title, issuer)
