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

from egov_qa.regulation.cite import Path
from egov_qa.regulation.identity import NOMOR, Identity, numbered, parse_identity
from egov_qa.regulation.items import ROMAN, OpenUnit, follows, item_of, label_of, number_of, push_item
from egov_qa.regulation.relations import Relation, read_relations

_LINE = re.compile(r"[^\n]*")
# a heading "Pasal 21" on a line of its own, as OCR also writes it: "Pasa1 33", "PasaI 47", "Pasal 3l",
# "Pasal 5O", "Pasal 3 1", "Pasal42", "Pasai 46", "Pagal 48", "Pasa.l 57", "' Pasal 69", "Pasal 59`", "PASAL 1"
# a number as OCR reads it ("3l", "5O", "3 1", "1 I", "l0", "I 1"), a letter suffix ("27A"), or Roman (Pasal I, II)
_NUMBER_LABEL = r"(?P<num>\d[\dOIl]{0,2}(?: [\dIl])?[A-Z]?|[lI](?: ?[\dOIl]){1,2}|[IVX]{1,4})"
# possessive runs of blanks: a line of 20,000 spaces must not make the pattern backtrack; no quote
# before the heading: an amendment quotes the amended law's '"Pasal 35'
_HEADING = re.compile(
    r"^[^\w\s\"“”]{0,2}[ \t]*+(?P<word>[Pp][A-Za-z.1]{2,5})[ \t]*+"
    + _NUMBER_LABEL
    + r"[ \t]*+[^\w\s]{0,2}[ \t]*+(?P<rest>Cukup[ \t]+[Jj]elas\.?)?$"
)
_HEADING_LINE = re.compile(_HEADING.pattern.replace("^", "^[ \t]*+", 1), re.MULTILINE)


def _heading(line: str, explained: bool = False) -> str | None:
    """Return the raw number of a Pasal heading ("Pasal 21" -> "21"), or None; ``explained``: "Pasal 3 Cukup jelas."."""
    m = _HEADING.match(line)
    if m is None or (m.group("rest") and not explained):
        return None
    word = m.group("word").lower().replace(".", "")
    return m.group("num") if word == "pasal" or _one_edit(word, "pasal") else None


def _one_edit(word: str, target: str) -> bool:
    """Tell whether ``word`` is ``target`` with one letter changed, dropped or added (OCR's "pasai", "pasl")."""
    if abs(len(word) - len(target)) > 1 or word[:1] != target[:1]:
        return False
    if len(word) == len(target):
        return sum(a != b for a, b in zip(word, target, strict=True)) <= 1
    short, long = sorted((word, target), key=len)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


_BAB = re.compile(r"^BAB\s+([IVXLC]{1,7}[A-Z]?)\s*(?:[-–:.]\s*)?([A-Z][A-Z ,/&()-]*)?$")
_BAGIAN = re.compile(r"^Bagian\s+(Ke[a-z]+(?: [A-Za-z]+)?)\s*$")
_PARAGRAF = re.compile(r"^Paragraf\s+(\d{1,3}[A-Z]?)\s*(.*)$")
_ORDINALS = (
    "KESATU PERTAMA KEDUA KETIGA KEEMPAT KELIMA KEENAM KETUJUH KEDELAPAN KESEMBILAN KESEPULUH KESEBELAS"
).split()
# "KEDUA BELAS" before "KEDUA"; an instruction follows a colon or starts a sentence ("KEDUA Khusus kepada"),
# which a title wrapped to "KEDUA ATAS UNDANG-UNDANG ..." does not
_DIKTUM = re.compile(
    r"^(KEDUA BELAS|KETIGA BELAS|KEEMPAT BELAS|KELIMA BELAS|" + "|".join(_ORDINALS) + r")"
    r"(?:\s*:\s*\S|\s+(?:\S{1,2}\s+)?[A-Z][a-z])"  # OCR may leave a stray mark: "KEENAM 1 Dalam rangka"
)
_CLOSING = re.compile(r"^(?:Ditetapkan|Disahkan|Dikeluarkan)\s+di\b")
_CLOSING_LINE = re.compile(r"^[ \t]*(?:Ditetapkan|Disahkan|Dikeluarkan)\s+di\b", re.MULTILINE)
_LAMPIRAN = re.compile(r"^LAMPIRAN(?:\s+[IVX]+)?\b")
_ANNEX_OPENING = re.compile(r"^(?:PERATURAN|UNDANG-UNDANG|KEPUTUSAN|INSTRUKSI)\b")


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

    def body_start(self, text: str) -> int:
        """Return where the unit's text begins in ``text``: after a Pasal's "Pasal 21" heading line."""
        if self.part not in ("pasal", "penjelasan"):
            return self.start
        line_end = text.find("\n", self.start, self.end)
        return self.end if line_end < 0 else line_end + 1

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
    """Yield (start, end, stripped text) of every line, blank ones included."""
    for m in _LINE.finditer(text):
        if m.start() == m.end() and m.start() > 0 and text[m.start() - 1] != "\n":
            continue  # the empty match after each line's text
        yield m.start(), m.end(), m.group().strip()


class _Parser:
    """One pass over the lines, opening a unit at each heading and an item at each ayat/huruf/angka."""

    def __init__(self, text: str, identity: Identity | None) -> None:
        """Start reading ``text``; the headings are listed first, to accept a jump only where numbering resumes."""
        self.text = text
        self.reg = Regulation(identity)
        self.reg.amending = bool(identity and re.match(r"(?i)perubahan\b", identity.title))
        # Pasal I and II frame an amendment; a lone "Pasal I" elsewhere is OCR's reading of "Pasal 1"
        closing = _CLOSING_LINE.search(text)
        body = text[: closing.start()] if closing else text
        self.roman = self.reg.amending or bool(re.search(r"(?m)^Pasal\s+II\s*$", body))
        # each heading's successor, to accept a long jump (headings lost to OCR) only where numbering resumes
        heads = [
            (m.start(), label_of(m.group("num"))) for m in _HEADING_LINE.finditer(body) if _heading(m.group().strip())
        ]
        self.next_head = {a[0]: b[1] for a, b in zip(heads, heads[1:], strict=False)}
        self.open: OpenUnit | None = None
        self.bab = self.bagian = self.paragraf = ""
        self.section = "opening"  # opening, body, closing, penjelasan, lampiran
        self.last_pasal: str | None = None
        self.last_diktum = -1
        self.pending_title: str | None = None
        self.penjelasan_last: str | None = None

    def close(self, end: int) -> None:
        """End the unit being read at ``end`` (an empty one is dropped)."""
        if self.open is not None:
            o = self.open
            if self.text[o.start : end].strip():
                context = (self.bab, self.bagian, self.paragraf) if o.part in ("pasal", "diktum") else ("", "", "")
                self.reg.units.append(Unit(o.part, o.start, end, o.pasal, *context, tuple(o.marks)))
        self.open = None

    def start(self, part: str, offset: int, pasal: str = "") -> None:
        """Close the unit being read and open a ``part`` unit at ``offset``."""
        self.close(offset)
        self.open = OpenUnit(part, offset, pasal)

    def heading_title(self, line: str) -> bool:
        """Append a BAB/Bagian/Paragraf title line; return whether the line was one."""
        if self.pending_title is None or not line or _heading(line) or _BAGIAN.match(line):
            return False
        if len(line) > 120 or line.endswith((".", ";", ":")) or item_of(line, False):
            self.pending_title = None
            return False
        setattr(self, self.pending_title, f"{getattr(self, self.pending_title)} {line}".strip())
        if self.pending_title != "bab" or not line.isupper():
            self.pending_title = None
        return True

    def body_line(self, start: int, line: str) -> None:
        """Read a line of the body: a BAB, Bagian or Paragraf heading, a Pasal or diktum, or an item."""
        if self.roman and self.last_pasal == "I":
            self.amendment_line(start, line)  # the quoted BAB and Bagian headings are the amended law's
            return
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
        raw = _heading(line)
        if raw and self.accept_pasal(label_of(raw), self.next_head.get(start)):
            self.start("pasal", start, self.last_pasal or "")
            return
        m = _DIKTUM.match(line)
        if m and not self.reg.articles and self.accept_diktum(m.group(1)):
            self.start("diktum", start, m.group(1))
            return
        if self.open is not None:
            item = item_of(line, explained=False)
            if item:
                push_item(self.open, start, *item, amending=self.reg.amending, line=line)

    def pasal_label(self, label: str) -> str:
        """Return a heading's label as cited: OCR's "I" for "1" read back where Roman numbers frame nothing."""
        return label if self.roman or label not in ROMAN else {"I": "1", "II": "11"}.get(label, "")

    def amendment_line(self, start: int, line: str) -> None:
        """Read a line of an amendment's Pasal I: only Pasal II ends it; its numbered changes are its items."""
        raw = _heading(line)
        if raw and label_of(raw) == "II" and self.accept_pasal("II", None):
            self.start("pasal", start, "II")
        elif self.open is not None:
            item = item_of(line, explained=False)
            if item:
                push_item(self.open, start, *item, amending=True, line=line)

    def accept_pasal(self, label: str, following: str | None) -> bool:
        """Tell whether a "Pasal N" line is the next heading; ``following`` is the number of the heading after it."""
        label = self.pasal_label(label)
        roman = label in ROMAN
        if not label or self.roman and self.last_pasal in ROMAN and not roman:
            return False  # a Pasal quoted inside Pasal I
        joined = label
        resumes = following is not None and follows(following, joined, gap=1)
        if not (follows(joined, self.last_pasal) or resumes and follows(joined, self.last_pasal, gap=12)):
            return False
        if roman:
            self.reg.amending = True
        elif self.last_pasal is not None and number_of(joined)[0] > number_of(self.last_pasal)[0] + 1:
            self.reg.problems.append(f"Pasal {self.last_pasal} is followed by Pasal {joined}")
        self.last_pasal = joined
        return True

    def feed(self, start: int, line: str) -> None:
        """Read one line (stripped) that starts at ``start``."""
        if self.section == "opening":
            self.opening_line(start, line)
            if not (_heading(line) or _BAB.match(line) or _DIKTUM.match(line)):
                return
            self.section = "body"
        if self.section == "body":
            if _CLOSING.match(line) and (self.reg.articles or self.last_diktum >= 0 or self.open):
                self.close(start)
                self.section = "closing"
            else:
                self.body_line(start, line)
            return
        compact = line.replace(" ", "")  # OCR spaces letters out: "PENJELAS AN"
        if (compact == "PENJELASAN" or compact.startswith("PENJELASANATAS")) and self.explains(start):
            self.close(start)
            self.section, self.penjelasan_last = "penjelasan", None
        elif self.section in ("closing", "penjelasan") and (_LAMPIRAN.match(line) or self.annexed(start, line)):
            self.start("lampiran", start)
            self.section = "lampiran"
        elif self.section == "penjelasan":
            self.penjelasan_line(start, line)

    def opening_line(self, start: int, line: str) -> None:
        """Read a line before the body: Menimbang and Mengingat with their items."""
        m = re.match(r"^(Menimbang|Mengingat)\b\s*:?\s*", line)
        if m:
            self.start(m.group(1).lower(), start)
            item = item_of(line[m.end() :], explained=False)  # "Menimbang : a. bahwa ..." opens item a
            if item and self.open is not None:
                at = self.text.find(line[m.end() :], start)
                push_item(self.open, at, *item, amending=False, line=line[m.end() :])
        elif re.match(r"^(?:Memperhatikan|Dengan Persetujuan|MEMUTUSKAN|Menetapkan)\b", line, re.IGNORECASE):
            self.close(start)
        elif self.open is not None:
            item = item_of(line, explained=False)
            if item:
                push_item(self.open, start, *item, amending=False, line=line)

    def annexed(self, start: int, line: str) -> bool:
        """Tell whether another regulation's text begins here (a Perppu set into law, annexed whole).

        Not within the Penjelasan's own title ("PENJELASAN ATAS UNDANG-UNDANG ... PERUBAHAN KEDUA
        ATAS UNDANG-UNDANG NOMOR 32 TAHUN 2004"), which names other regulations too.
        """
        if self.section == "penjelasan" and self.open is None and self.penjelasan_last is None:
            return False
        if not _ANNEX_OPENING.match(line) or not line.isupper():
            return False
        m = NOMOR.search(self.text[start : start + 300])
        ident = self.reg.identity
        if m is None or ident is None:
            return False
        return numbered(m) != (ident.number, ident.year)

    def explains(self, start: int) -> bool:
        """Tell whether the Penjelasan opening at ``start`` is this regulation's, not an annexed one's."""
        m = NOMOR.search(self.text[start : start + 400])
        ident = self.reg.identity
        if m is None or ident is None:
            return True
        return numbered(m) == (ident.number, ident.year)

    def penjelasan_line(self, start: int, line: str) -> None:
        """Read a line of the Penjelasan: UMUM, each Pasal's explanation and its "Ayat (1)" items."""
        if re.match(r"^I\.\s*UMUM\b", line, re.IGNORECASE):
            self.start("penjelasan_umum", start)
            return
        if re.match(r"^II\.\s*PASAL\s+DEMI\s+PASAL\b", line, re.IGNORECASE):
            self.close(start)
            return
        raw = _heading(line, explained=True)
        label = self.pasal_label(label_of(raw)) if raw else ""
        if self.roman and label not in ROMAN:
            label = ""  # in an amendment's Penjelasan, "Pasal 27" explains the amended law's Pasal 27
        if label and (self.penjelasan_last is None or follows(label, self.penjelasan_last)):
            self.penjelasan_last = label
            self.start("penjelasan", start, label)
        elif self.open is not None and self.open.part == "penjelasan":
            item = item_of(line, explained=True)
            if item:
                push_item(self.open, start, *item, amending=False, line=line)

    def accept_diktum(self, ordinal: str) -> bool:
        """Tell whether an instruction's ordinal (KESATU, KEDUA BELAS) comes after the previous one."""
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
    read_relations(text, reg)
    _check_penjelasan(reg)
    return reg


def _check_penjelasan(reg: Regulation) -> None:
    """Note each Penjelasan of a Pasal the body lacks."""
    body = {u.pasal for u in reg.articles}
    for u in reg.units:
        if u.part == "penjelasan" and u.pasal not in body:
            reg.problems.append(f"Penjelasan of Pasal {u.pasal}, which the body lacks")
