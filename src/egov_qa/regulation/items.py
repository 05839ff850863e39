"""Numbers and items of a regulation: heading numbers as OCR writes them, the ayat/huruf/angka open at a line."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from egov_qa.regulation.cite import Path
from egov_qa.regulation.identity import fix_number

ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8, "IX": 9, "X": 10}
_AYAT = re.compile(r"^\(\s*(\d{1,2}[a-z]?|l)\s*\)\s*")
_HURUF = re.compile(r"^([a-z])\.\s+")
_ANGKA = re.compile(r"^(\d{1,3})\.\s+")
_EXPLAINED = re.compile(r"^(Ayat|Huruf|Angka)\s+\(?(\d{1,2}[a-z]?|[a-z])\)?\s*$")
_CHANGE = re.compile(
    r"^(\d{1,3})\.\s+(?:Ketentuan|Di\s*antara|Diantara|Pasal|Penjelasan|Judul|BAB|Bab|Bagian|Paragraf"
    r"|Lampiran|LAMPIRAN|Setelah|Sebelum|Menambah|Menghapus|Mengubah|Ayat|Huruf|Angka|Dalam|Menyisipkan)\b"
)


def number_of(label: str) -> tuple[int, str]:
    """Split "27A" into (27, "A"); a Roman "II" into (2, ""); OCR's "3 1" into (31, "")."""
    label = label.replace(" ", "")
    if label in ROMAN:
        return ROMAN[label], ""
    digits = re.match(r"\d+", label)
    return (int(digits.group()), label[digits.end() :]) if digits else (0, label)


def follows(label: str, previous: str | None, gap: int = 4) -> bool:
    """Tell whether heading number ``label`` may come after ``previous`` (N+1, up to N+``gap``, or N + letter)."""
    n, suffix = number_of(label)
    if previous is None:
        return n == 1 and not suffix or n <= 3
    p, p_suffix = number_of(previous)
    if n == p:
        return bool(suffix) and suffix > p_suffix
    return p < n <= p + gap


def label_of(raw: str) -> str:
    """Return a heading number as cited: OCR's letters read as digits ("3l" -> "31"), a letter suffix kept."""
    if raw in ROMAN:
        return raw
    m = re.fullmatch(r"([\dlI](?: ?[\dOIl]){0,2})([A-Z]?)", raw)
    return fix_number(m.group(1).replace(" ", "")) + m.group(2) if m else raw


@dataclass(slots=True)
class OpenUnit:
    """The unit being read and the items open in it."""

    part: str
    start: int
    pasal: str = ""
    marks: list[tuple[int, Path]] = field(default_factory=list)
    stack: list[tuple[str, str]] = field(default_factory=list)


def _successor(kind: str, label: str, previous: str | None) -> bool:
    """Tell whether item ``label`` may follow ``previous`` of its kind: b after a, 2 after 1; a first item opens."""
    if kind == "huruf":
        return label == "a" if previous is None else ord(label) == ord(previous) + 1
    if kind == "angka":
        return label == "1" if previous is None else label.isdigit() and int(label) == int(previous) + 1
    return previous is None or follows(label, previous)


def item_of(line: str, explained: bool) -> tuple[str, str] | None:
    """Return (kind, label) of the item a line starts ("(2) ..." -> ("ayat", "2")), else None."""
    if explained:
        m = _EXPLAINED.match(line)
        return (m.group(1).lower(), m.group(2)) if m else None
    m = _AYAT.match(line)
    if m:
        return "ayat", "1" if m.group(1) == "l" else m.group(1)
    m = _HURUF.match(line)
    if m:
        return "huruf", m.group(1)
    m = _ANGKA.match(line)
    return ("angka", m.group(1)) if m else None


def push_item(unit: OpenUnit, offset: int, kind: str, label: str, amending: bool, line: str) -> None:
    """Open item ``kind label`` in ``unit`` if it follows its predecessor at its level."""
    if amending and unit.pasal == "I" and kind == "angka" and _CHANGE.match(line):
        previous = unit.stack[0][1] if unit.stack and unit.stack[0][0] == "angka" else None
        if _successor("angka", label, previous):
            unit.stack = [("angka", label)]
            unit.marks.append((offset, tuple(unit.stack)))
        return
    if amending and unit.pasal == "I":
        return  # inside a quoted amended Pasal: its items are the amended regulation's
    level = next((i for i, (k, _) in enumerate(unit.stack) if k == kind), None)
    previous = unit.stack[level][1] if level is not None else None
    if not _successor(kind, label, previous):
        return
    unit.stack = [*unit.stack[: level if level is not None else len(unit.stack)], (kind, label)]
    unit.marks.append((offset, tuple(unit.stack)))
