"""The structure of an Indonesian regulation: identity, Menimbang/Mengingat, BAB to huruf, Penjelasan, Lampiran.

The layout is fixed by Lampiran II of UU 12/2011. A heading ("Pasal 21", "BAB II", "Bagian
Kedua") stands on a line of its own; a reference to one ("sebagaimana dimaksud dalam Pasal 5")
does not, and a heading is only taken when its number follows the previous one, so a wrapped
reference that happens to begin a line is not read as a new Pasal. An amending regulation's
body is Pasal I (the numbered changes, quoting the amended Pasal) and Pasal II: the quoted Pasal
belong to the amended regulation and are not headings of this one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from egov_qa.analysis import references

Path = tuple[tuple[str, str], ...]  # ((kind, label), ...) e.g. (("ayat", "1"), ("huruf", "c"))
Relation = tuple[str, str]  # (token, the words that name it), e.g. ("uu_11_2008", "Undang-Undang Nomor 11 Tahun 2008")
# the kinds whose number and year repeat across issuers (each ministry numbers its own Permen)
_ISSUED_BY_MANY = frozenset({"permen", "kepmen", "perban", "perda", "pergub", "perbup", "perwal", "se"})

_LINE = re.compile(r"[^\n]*")
# OCR writes "Pasa1 33", "Pasal 3l", "Pasal 5O", "Pasal 3 1": the number is read through it
_PASAL = re.compile(r"^Pas[aA][lL1IJ]\s+(\d[\dOIl]{0,2}(?: \d)?[A-Z]?|[IVX]{1,4})\s*$")
_PASAL_LINE = re.compile(r"^[ \t]*Pas[aA][lL1IJ]\s+(\d[\dOIl]{0,2}(?: \d)?[A-Z]?|[IVX]{1,4})[ \t]*$", re.MULTILINE)
_PENJELASAN_PASAL = re.compile(r"^Pas[aA][lL1IJ]\s+(\d[\dOIl]{0,2}(?: \d)?[A-Z]?|[IVX]{1,4})\s*(?:$|(?=Cukup jelas))")
_BAB = re.compile(r"^BAB\s+([IVXLC]{1,7}[A-Z]?)\s*(?:[-–:.]\s*)?([A-Z][A-Z ,/&()-]*)?$")
_BAGIAN = re.compile(r"^Bagian\s+(Ke[a-z]+(?: [A-Za-z]+)?)\s*$")
_PARAGRAF = re.compile(r"^Paragraf\s+(\d{1,3}[A-Z]?)\s*(.*)$")
_AYAT = re.compile(r"^\(\s*(\d{1,2}[a-z]?|l)\s*\)\s*")
_HURUF = re.compile(r"^([a-z])\.\s+")
_ANGKA = re.compile(r"^(\d{1,3})\.\s+")
_EXPLAINED = re.compile(r"^(Ayat|Huruf|Angka)\s+\(?(\d{1,2}[a-z]?|[a-z])\)?\s*$")
_CHANGE = re.compile(
    r"^(\d{1,3})\.\s+(?:Ketentuan|Di\s*antara|Diantara|Pasal|Penjelasan|Judul|BAB|Bab|Bagian|Paragraf"
    r"|Lampiran|LAMPIRAN|Setelah|Sebelum|Menambah|Menghapus|Mengubah|Ayat|Huruf|Angka|Dalam|Menyisipkan)\b"
)
_ORDINALS = (
    "KESATU PERTAMA KEDUA KETIGA KEEMPAT KELIMA KEENAM KETUJUH KEDELAPAN KESEMBILAN KESEPULUH KESEBELAS"
).split()
_DIKTUM = re.compile(r"^(" + "|".join(_ORDINALS) + r"|KEDUA BELAS|KETIGA BELAS|KEEMPAT BELAS|KELIMA BELAS)\s*:?\s+\S")
_CLOSING = re.compile(r"^(?:Ditetapkan|Disahkan)\s+di\b")
_CLOSING_LINE = re.compile(r"^\s*(?:Ditetapkan|Disahkan)\s+di\b", re.MULTILINE)
_LAMPIRAN = re.compile(r"^LAMPIRAN(?:\s+[IVX]+)?\b")
_ANNEX_OPENING = re.compile(r"^(?:PERATURAN|UNDANG-UNDANG|KEPUTUSAN|INSTRUKSI)\b")
_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8, "IX": 9, "X": 10}
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


@dataclass(frozen=True, slots=True)
class Unit:
    """One part of a regulation with its span in the document text.

    ``part`` is ``menimbang``, ``mengingat``, ``pasal``, ``penjelasan_umum``, ``penjelasan``
    (Penjelasan of Pasal ``pasal``), ``diktum`` (an instruction's KESATU, KEDUA, ...) or
    ``lampiran``. ``marks`` are (offset, path) where each item starts: the ayat, huruf and
    angka standing open at that offset, outermost first.
    """

    part: str
    start: int
    end: int
    pasal: str = ""
    bab: str = ""
    bagian: str = ""
    paragraf: str = ""
    marks: tuple[tuple[int, Path], ...] = ()

    def path_at(self, offset: int) -> Path:
        """Return the ayat/huruf/angka path open at document offset ``offset`` (empty before the first item)."""
        found: Path = ()
        for start, path in self.marks:
            if start > offset:
                break
            found = path
        return found


@dataclass(slots=True)
class Regulation:
    """A parsed regulation: its identity, units in text order, the regulations it amends or repeals.

    ``amends``, ``repeals`` and ``partly_repeals`` are (token, the words naming it) pairs.

    ``problems`` lists what the parser noticed (a Pasal number skipped, a Penjelasan for a Pasal
    the body lacks); ``highest_pasal`` is the highest body Pasal number seen.
    """

    identity: Identity | None
    units: list[Unit] = field(default_factory=list)
    amends: tuple[Relation, ...] = ()
    repeals: tuple[Relation, ...] = ()
    partly_repeals: tuple[Relation, ...] = ()
    amending: bool = False
    problems: list[str] = field(default_factory=list)

    @property
    def articles(self) -> list[Unit]:
        """The body's Pasal, in order."""
        return [u for u in self.units if u.part == "pasal"]

    def article(self, pasal: str, part: str = "pasal") -> Unit | None:
        """Return the body Pasal (or its ``penjelasan``) numbered ``pasal``, or None."""
        return next((u for u in self.units if u.part == part and u.pasal == pasal), None)


def _lines(text: str) -> Iterator[tuple[int, int, str]]:
    for m in _LINE.finditer(text):
        if m.start() == m.end() and m.start() > 0 and text[m.start() - 1] != "\n":
            continue  # the empty match after each line's text
        yield m.start(), m.end(), m.group().strip()


def _number(label: str) -> tuple[int, str]:
    """Split "27A" into (27, "A"); a Roman "II" into (2, ""); OCR's "3 1" into (31, "")."""
    label = label.replace(" ", "")
    if label in _ROMAN:
        return _ROMAN[label], ""
    digits = re.match(r"\d+", label)
    return (int(digits.group()), label[digits.end() :]) if digits else (0, label)


def _follows(label: str, previous: str | None, gap: int = 4) -> bool:
    """Tell whether heading number ``label`` may come after ``previous`` (N+1, up to N+``gap``, or N + letter)."""
    n, suffix = _number(label)
    if previous is None:
        return n == 1 and not suffix or n <= 3
    p, p_suffix = _number(previous)
    if n == p:
        return bool(suffix) and suffix > p_suffix
    return p < n <= p + gap


def _label(raw: str) -> str:
    """Return a heading number as cited: OCR's letters read as digits ("3l" -> "31"), a letter suffix kept."""
    if raw in _ROMAN:
        return raw
    m = re.fullmatch(r"(\d[\dOIl]{0,2})( \d)?([A-Z]?)", raw)
    return fix_number(m.group(1) + (m.group(2) or "").strip()) + m.group(3) if m else raw


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


_NOMOR = re.compile(
    r"(?:N|\}\.I|I\{)\s?[O0]\s?M\s?[O0]\s?R\s*:?\s*(?P<num>[0-9OoIlTiL|]{1,5}(?:/[A-Z.0-9]+)*?)\s*"
    r"(?:/|TAHUN\s*)(?P<year>[0-9OoIlTiL|][.]?[0-9OoIlTiL|.]{3,5})"
)
# a ministry's own numbering: "NOMOR 10/PERMEN-KP/2020", "NOMOR : PER- 368/MENKO/POLHUKAM/10/2009"
_NOMOR_CODED = re.compile(
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


def _fix_numbers(text: str) -> str:
    """Fix OCR'd numbers inside a text: tokens of digits and look-alike letters holding at least one digit."""
    return re.sub(r"\b(?=[0-9OoIlTiL]*\d)[0-9OoIlTiL]{2,4}\b", lambda m: fix_number(m.group()), text)


def _kind(before: str) -> str | None:
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
    stop = re.search(r"^\s*(?:Menimbang|Dalam rangka|Sehubungan|MEMUTUSKAN|Mengingat)\b", head, re.MULTILINE)
    opening = head[: stop.start()] if stop else head[:1500]
    m = _NOMOR_CODED.search(opening) or _NOMOR.search(opening)
    if m is None:
        return None
    kind = _kind(opening[max(0, m.start() - 250) : m.start()])
    number, year = fix_number(m.group("num").split("/")[0]).lstrip("0") or "0", fix_number(m.group("year"))[:4]
    if kind is None or not number.isdigit() or not re.fullmatch(r"(?:19|20)\d\d", year):
        return None
    rest = opening[m.end() :]
    subject = re.match(r"\s*TENTANG\b(.*?)(?:DENGAN\s+RAHMAT|$)", rest, re.DOTALL | re.IGNORECASE)
    blocks = [b.strip() for b in re.split(r"\n\s*\n", subject.group(1) if subject else "") if b.strip()]
    issuer = blocks.pop() if len(blocks) > 1 and blocks[-1].endswith(",") else ""
    if not issuer:
        after = re.search(r"DENGAN\s+RAHMAT[^\n]*\n\s*((?:[^\n]+\n)*?[^\n]*,)\s*$", rest, re.MULTILINE)
        issuer = after.group(1) if after else ""
    title = _fix_numbers(" ".join(" ".join(blocks).split()))[:400]
    issuer = " ".join(issuer.split()).rstrip(" ,")
    return Identity(kind, number, year, title_case(title) if title.isupper() else title, issuer)


@dataclass(slots=True)
class _Open:
    """The unit being read and the items open in it."""

    part: str
    start: int
    pasal: str = ""
    marks: list[tuple[int, Path]] = field(default_factory=list)
    stack: list[tuple[str, str]] = field(default_factory=list)


def _successor(kind: str, label: str, previous: str | None) -> bool:
    if kind == "huruf":
        return label == "a" if previous is None else ord(label) == ord(previous) + 1
    if kind == "angka":
        return label == "1" if previous is None else label.isdigit() and int(label) == int(previous) + 1
    return previous is None or _follows(label, previous)


def _item(line: str, explained: bool) -> tuple[str, str] | None:
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


def _push(unit: _Open, offset: int, kind: str, label: str, amending: bool, line: str) -> None:
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


class _Parser:
    """One pass over the lines, opening a unit at each heading and an item at each ayat/huruf/angka."""

    def __init__(self, text: str, identity: Identity | None) -> None:
        self.text = text
        self.reg = Regulation(identity)
        self.reg.amending = bool(identity and re.match(r"(?i)perubahan\b", identity.title))
        # Pasal I and II frame an amendment; a lone "Pasal I" elsewhere is OCR's reading of "Pasal 1"
        closing = _CLOSING_LINE.search(text)
        body = text[: closing.start()] if closing else text
        self.roman = self.reg.amending or bool(re.search(r"(?m)^Pasal\s+II\s*$", body))
        # each heading's successor, to accept a long jump (headings lost to OCR) only where numbering resumes
        heads = [(m.start(), _label(m.group(1))) for m in _PASAL_LINE.finditer(body)]
        self.next_head = {a[0]: b[1] for a, b in zip(heads, heads[1:], strict=False)}
        self.open: _Open | None = None
        self.bab = self.bagian = self.paragraf = ""
        self.section = "opening"  # opening, body, closing, penjelasan, lampiran
        self.last_pasal: str | None = None
        self.last_diktum = -1
        self.pending_title: str | None = None
        self.penjelasan_last: str | None = None

    def close(self, end: int) -> None:
        if self.open is not None:
            o = self.open
            if self.text[o.start : end].strip():
                context = (self.bab, self.bagian, self.paragraf) if o.part in ("pasal", "diktum") else ("", "", "")
                self.reg.units.append(Unit(o.part, o.start, end, o.pasal, *context, tuple(o.marks)))
        self.open = None

    def start(self, part: str, offset: int, pasal: str = "") -> None:
        self.close(offset)
        self.open = _Open(part, offset, pasal)

    def heading_title(self, line: str) -> bool:
        """Append a BAB/Bagian/Paragraf title line; return whether the line was one."""
        if self.pending_title is None or not line or _PASAL.match(line) or _BAGIAN.match(line):
            return False
        if len(line) > 120 or line.endswith((".", ";", ":")) or _item(line, False):
            self.pending_title = None
            return False
        setattr(self, self.pending_title, f"{getattr(self, self.pending_title)} {line}".strip())
        if self.pending_title != "bab" or not line.isupper():
            self.pending_title = None
        return True

    def body_line(self, start: int, line: str) -> None:
        if self.heading_title(line):
            return
        m = _BAB.match(line)
        if m:
            self.close(start)
            self.bab, self.bagian, self.paragraf = f"BAB {m.group(1)}", "", ""
            if m.group(2):
                self.bab += f" {m.group(2).strip()}"
            self.pending_title = "bab"
            return
        m = _BAGIAN.match(line)
        if m:
            self.close(start)
            self.bagian, self.paragraf, self.pending_title = f"Bagian {m.group(1)}", "", "bagian"
            return
        m = _PARAGRAF.match(line)
        if m and (not m.group(2) or m.group(2)[:1].isupper()):
            self.close(start)
            self.paragraf = f"Paragraf {m.group(1)} {m.group(2)}".strip()
            self.pending_title = None if m.group(2) else "paragraf"
            return
        self.pending_title = None
        m = _PASAL.match(line)
        if m and self.accept_pasal(_label(m.group(1)), self.next_head.get(start)):
            self.start("pasal", start, self.last_pasal or "")
            return
        m = _DIKTUM.match(line)
        if m and not self.reg.articles and self.accept_diktum(m.group(1)):
            self.start("diktum", start, m.group(1))
            return
        if self.open is not None:
            item = _item(line, explained=False)
            if item:
                _push(self.open, start, *item, amending=self.reg.amending, line=line)

    def pasal_label(self, label: str) -> str:
        """Return a heading's label as cited: OCR's "I" for "1" read back where Roman numbers frame nothing."""
        return label if self.roman or label not in _ROMAN else {"I": "1", "II": "11"}.get(label, "")

    def accept_pasal(self, label: str, following: str | None) -> bool:
        label = self.pasal_label(label)
        roman = label in _ROMAN
        if not label or self.roman and self.last_pasal in _ROMAN and not roman:
            return False  # a Pasal quoted inside Pasal I
        joined = label
        resumes = following is not None and _follows(following, joined, gap=1)
        if not (_follows(joined, self.last_pasal) or resumes and _follows(joined, self.last_pasal, gap=12)):
            return False
        if roman:
            self.reg.amending = True
        elif self.last_pasal is not None and _number(joined)[0] > _number(self.last_pasal)[0] + 1:
            self.reg.problems.append(f"Pasal {self.last_pasal} is followed by Pasal {joined}")
        self.last_pasal = joined
        return True

    def feed(self, start: int, line: str) -> None:
        """Read one line (stripped) that starts at ``start``."""
        if self.section == "opening":
            self.opening_line(start, line)
            if not (_PASAL.match(line) or _BAB.match(line) or _DIKTUM.match(line)):
                return
            self.section = "body"
        if self.section == "body":
            if _CLOSING.match(line) and (self.reg.articles or self.last_diktum >= 0 or self.open):
                self.close(start)
                self.section = "closing"
            else:
                self.body_line(start, line)
            return
        if (line == "PENJELASAN" or re.match(r"^PENJELASAN\s+ATAS\b", line)) and self.explains(start):
            self.close(start)
            self.section, self.penjelasan_last = "penjelasan", None
        elif self.section in ("closing", "penjelasan") and (_LAMPIRAN.match(line) or self.annexed(start, line)):
            self.start("lampiran", start)
            self.section = "lampiran"
        elif self.section == "penjelasan":
            self.penjelasan_line(start, line)

    def opening_line(self, start: int, line: str) -> None:
        m = re.match(r"^(Menimbang|Mengingat)\b\s*:?\s*", line)
        if m:
            self.start(m.group(1).lower(), start)
            item = _item(line[m.end() :], explained=False)  # "Menimbang : a. bahwa ..." opens item a
            if item and self.open is not None:
                at = self.text.find(line[m.end() :], start)
                _push(self.open, at, *item, amending=False, line=line[m.end() :])
        elif re.match(r"^(?:Memperhatikan|Dengan Persetujuan|MEMUTUSKAN|Menetapkan)\b", line, re.IGNORECASE):
            self.close(start)
        elif self.open is not None:
            item = _item(line, explained=False)
            if item:
                _push(self.open, start, *item, amending=False, line=line)

    def annexed(self, start: int, line: str) -> bool:
        """Tell whether another regulation's text begins here (a Perppu set into law, annexed whole)."""
        if not _ANNEX_OPENING.match(line) or not line.isupper():
            return False
        m = _NOMOR.search(self.text[start : start + 300])
        ident = self.reg.identity
        if m is None or ident is None:
            return False
        number = fix_number(m.group("num").split("/")[0]).lstrip("0")
        return (number, fix_number(m.group("year"))[:4]) != (ident.number, ident.year)

    def explains(self, start: int) -> bool:
        """Tell whether the Penjelasan opening at ``start`` is this regulation's, not an annexed one's."""
        m = _NOMOR.search(self.text[start : start + 400])
        return (
            m is None
            or self.reg.identity is None
            or (fix_number(m.group("num").split("/")[0]).lstrip("0") == self.reg.identity.number)
        )

    def penjelasan_line(self, start: int, line: str) -> None:
        if re.match(r"^I\.\s*UMUM\b", line, re.IGNORECASE):
            self.start("penjelasan_umum", start)
            return
        if re.match(r"^II\.\s*PASAL\s+DEMI\s+PASAL\b", line, re.IGNORECASE):
            self.close(start)
            return
        m = _PENJELASAN_PASAL.match(line)
        label = self.pasal_label(_label(m.group(1))) if m else ""
        if self.roman and label not in _ROMAN:
            label = ""  # in an amendment's Penjelasan, "Pasal 27" explains the amended law's Pasal 27
        if label and (self.penjelasan_last is None or _follows(label, self.penjelasan_last)):
            self.penjelasan_last = label
            self.start("penjelasan", start, label)
        elif self.open is not None and self.open.part == "penjelasan":
            item = _item(line, explained=True)
            if item:
                _push(self.open, start, *item, amending=False, line=line)

    def accept_diktum(self, ordinal: str) -> bool:
        rank = _ORDINALS.index(ordinal.split()[0]) if ordinal.split()[0] in _ORDINALS else 99
        rank = max(rank, 1) + (10 if " BELAS" in ordinal else 0)
        if rank <= self.last_diktum:
            return False
        self.last_diktum = rank
        return True


def parse_regulation(text: str) -> Regulation | None:
    """Parse a cleaned regulation text into its units; None when it is not a regulation.

    A document is a regulation when its opening names one ("UNDANG-UNDANG ... NOMOR 25 TAHUN
    2009 TENTANG ..."); its units are found where its body has Pasal or numbered instructions
    (KESATU, KEDUA, ...).
    """
    identity = parse_identity(text)
    if identity is None:
        return None
    p = _Parser(text, identity)
    for start, _end, line in _lines(text):
        p.feed(start, line)
    p.close(len(text))
    reg = p.reg
    if not reg.articles and not any(u.part == "diktum" for u in reg.units):
        return reg if reg.units else Regulation(identity)
    _relations(text, reg)
    _check_penjelasan(reg)
    return reg


def _check_penjelasan(reg: Regulation) -> None:
    body = {u.pasal for u in reg.articles}
    for u in reg.units:
        if u.part == "penjelasan" and u.pasal not in body:
            reg.problems.append(f"Penjelasan of Pasal {u.pasal}, which the body lacks")


def _relations(text: str, reg: Regulation) -> None:
    """Read which regulations this one amends (its title) and repeals, wholly or in part (its closing Pasal).

    A repeal of "ketentuan mengenai ... dalam", a Pasal or a Bab of another regulation is a
    partial one. Each relation keeps the words that name the other regulation, so a Permen is
    told from another ministry's Permen of the same number and year.
    """
    identity = reg.identity
    own = identity.token if identity else ""
    if identity and re.match(r"(?i)perubahan\b", identity.title):
        found = [(r.token, identity.title[r.start : r.end]) for r in references(identity.title) if r.token != own]
        reg.amends = tuple(found[:1])
    repealed: list[Relation] = []
    partly: list[Relation] = []
    for unit in reg.units:
        if unit.part not in ("pasal", "diktum"):
            continue
        heading_end = text.find("\n", unit.start, unit.end) if unit.part == "pasal" else unit.start
        body = _fix_numbers(" ".join(text[max(heading_end, unit.start) : unit.end].split()))
        for sentence in re.split(r"(?<=[^\s.]{2}\.)\s+(?=[A-Z])", body):
            if not (re.search(r"\bdicabut\b", sentence) and re.search(r"dinyatakan\s+tidak\s+berlaku", sentence)):
                continue
            refs = [r for r in references(sentence) if r.token != own]
            if not refs:
                continue
            part = bool(re.search(r"\b(?:ketentuan|Pasal\s+\d|Bab\s+[IVXL]|sepanjang)", sentence[: refs[0].start]))
            (partly if part else repealed).extend((r.token, sentence[r.start : r.end]) for r in refs)
    reg.repeals = tuple(dict.fromkeys(repealed))
    reg.partly_repeals = tuple(r for r in dict.fromkeys(partly) if r not in reg.repeals)


_NOT_ISSUER = frozenset(
    "peraturan keputusan instruksi surat edaran bersama menteri nomor no tahun republik indonesia dan negara".split()
)


def issuer_words(reference: str) -> set[str]:
    """Return the words naming who issued a referenced regulation: what tells one ministry's Permen from another's.

    "Peraturan Menteri Dalam Negeri Nomor 7 Tahun 2019" gives {"dalam", "negeri"}.
    """
    words = re.findall(r"[a-z]+", reference.lower().split("nomor")[0])
    return {w for w in words if w not in _NOT_ISSUER and len(w) > 1}


def names(reference: str, token: str, opening: str) -> bool:
    """Tell whether a reference (its words and token) names the regulation whose text opens with ``opening``.

    Laws and the President's regulations are told apart by their token; a ministry's or a
    region's by the issuer's words too, which must all stand in the regulation's opening.
    """
    if token.split("_", 1)[0] not in _ISSUED_BY_MANY:
        return True
    words = issuer_words(reference)
    head = set(re.findall(r"[a-z]+", opening.lower()))
    return bool(words) and words <= head
