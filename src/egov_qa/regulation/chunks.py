"""Chunks that follow a regulation's structure: one Pasal a chunk where it fits, never two Pasal in one.

A Pasal longer than the budget is cut at its items (ayat, huruf, angka), and an item longer
than the budget at its sentences. Each chunk's heading is its context line (BAB · Bagian ·
Pasal), embedded with it, and it stores its :class:`~egov_qa.records.Location`. Text outside
the units (the opening, the signature, the Penjelasan Umum, a Lampiran) is chunked as any
document is, with the part it belongs to as its location.
"""

from __future__ import annotations

import re
from dataclasses import replace

from egov_qa.chunking import ChunkParams, Sentence, TokenCounter, chunk_document, page_of, segment_sentences, split_long
from egov_qa.records import Chunk, Document, Location
from egov_qa.regulation.cite import Path
from egov_qa.regulation.identity import title_case
from egov_qa.regulation.structure import Regulation, Unit, parse_regulation

# units cut at their items; the other parts are chunked as plain text
_STRUCTURED = ("pasal", "penjelasan", "diktum", "menimbang", "mengingat")
# heading lines between two Pasal (a BAB or Bagian title) are context, not text, up to this length
_MAX_BODY_GAP = 200
# a gap between units that holds only the heading of the next part
_PART_HEADING = re.compile(r"(?:II\.\s*)?PASAL\s+DEMI\s+PASAL|", re.IGNORECASE)
# what a Penjelasan says when it explains nothing: "Ayat (1) Cukup jelas." is not worth a chunk
_NOTHING_EXPLAINED = re.compile(
    r"(?:Ayat|Huruf|Angka)\s*\(?\w{1,3}\)?|Cukup\s+jelas\.?|TAMBAHAN\s+LEMBARAN\s+NEGARA[^\n]*|\s+", re.IGNORECASE
)


def chunk_with_structure(
    doc: Document, count: TokenCounter, params: ChunkParams
) -> tuple[list[Chunk], Regulation | None]:
    """Chunk a document: a regulation by its structure, anything else as before.

    Returns:
        The chunks, and the parsed regulation (None for other documents).
    """
    reg = parse_regulation(doc.text)
    if reg is None or not any(u.part in ("pasal", "diktum") for u in reg.units):
        return chunk_document(doc, count, params), reg
    return chunk_regulation(doc, reg, count, params), reg


def _context(unit: Unit) -> str:
    """Return a unit's context line: "BAB II Asas dan Tujuan · Bagian Kesatu Umum · Pasal 2"."""
    if unit.part == "pasal":
        bab = re.match(r"(BAB \S+)\s*(.*)", unit.bab)
        bab_text = ""
        if bab:
            bab_text = f"{bab.group(1)} {title_case(bab.group(2)) if bab.group(2).isupper() else bab.group(2)}"
        parts = [bab_text.strip(), unit.bagian, unit.paragraf, f"Pasal {unit.pasal}"]
        return " · ".join(p for p in parts if p)
    if unit.part == "penjelasan":
        return f"Penjelasan Pasal {unit.pasal}"
    if unit.part == "diktum":
        return f"Diktum {unit.pasal}"
    return unit.part.capitalize()


def _spans(text: str, reg: Regulation) -> list[tuple[int, int, Unit | None, str]]:
    """Cover the text with the units and the gaps between them, each gap named by where it stands."""
    out: list[tuple[int, int, Unit | None, str]] = []
    pos, seen_body = 0, False
    for unit in sorted(reg.units, key=lambda u: u.start):
        if unit.start > pos:
            part = "penutup" if seen_body else "pembukaan"
            between = seen_body and unit.part in ("pasal", "diktum")
            heading_only = _PART_HEADING.fullmatch(text[pos : unit.start].strip())  # "II. PASAL DEMI PASAL"
            if not (between and unit.start - pos <= _MAX_BODY_GAP) and not heading_only:
                out.append((pos, unit.start, None, part))
        out.append((unit.start, unit.end, unit, unit.part))
        seen_body = seen_body or unit.part in ("pasal", "diktum")
        pos = max(pos, unit.end)
    if pos < len(text):
        out.append((pos, len(text), None, "penutup" if seen_body else "pembukaan"))
    return out


def unit_text(text: str, unit: Unit) -> str:
    """Return a unit's text without its heading line, as it reads in the document."""
    return text[unit.body_start(text) : unit.end].strip()


def _blocks(text: str, unit: Unit) -> list[list[tuple[int, int]]]:
    """Return a unit's items, each as its sentence spans."""
    start = unit.body_start(text)
    cuts = sorted({start, *(m for m, _ in unit.marks if start < m < unit.end)})
    blocks = [segment_sentences(text, a, b) for a, b in zip(cuts, [*cuts[1:], unit.end], strict=True)]
    return [b for b in blocks if b]


def _common(paths: list[Path]) -> Path:
    """Return the longest path all of ``paths`` start with."""
    if not paths:
        return ()
    first = paths[0]
    n = 0
    while n < len(first) and all(len(p) > n and p[n] == first[n] for p in paths):
        n += 1
    return first[:n]


def _unit_chunk(doc: Document, unit: Unit, heading: str, group: list[tuple[Sentence, int]]) -> Chunk:
    """Make a chunk of a unit's sentences, located at the items it holds (their common path)."""
    start, end = group[0][0].start, group[-1][0].end
    opening = unit.path_at(start)
    marks = [(m - start, p) for m, p in unit.marks if start < m < end]
    path = _common([opening, *(p for _, p in marks)])
    rel_marks = ([(0, opening)] if opening else []) + marks
    location = Location(unit.part, unit.pasal, path, unit.bab, unit.bagian, unit.paragraf, tuple(rel_marks))
    page, page_starts = page_of(doc, start, end)
    sentences = tuple((s.start - start, s.end - start) for s, _ in group)
    return Chunk(doc.doc_id, 0, doc.text[start:end], start, end, heading, sentences, page, location, page_starts)


def _pack(blocks: list[list[tuple[Sentence, int]]], budget: int) -> list[list[tuple[Sentence, int]]]:
    """Group items into chunks within the budget: whole items where they fit, sentences where one does not."""
    groups: list[list[tuple[Sentence, int]]] = []
    group: list[tuple[Sentence, int]] = []
    used = 0
    for block in blocks:
        size = sum(n for _, n in block)
        if group and used + size > budget:
            groups.append(group)
            group, used = [], 0
        for sentence in block:
            if group and used + sentence[1] > budget:
                groups.append(group)
                group, used = [], 0
            group.append(sentence)
            used += sentence[1]
    if group:
        groups.append(group)
    return groups


def _plain(doc: Document, start: int, end: int, part: str, count: TokenCounter, params: ChunkParams) -> list[Chunk]:
    """Chunk a stretch of text outside the units as any document is, located in ``part``."""
    sub = Document(doc.doc_id, doc.text[start:end])
    if not sub.text.strip():
        return []
    out = []
    for c in chunk_document(sub, count, params):
        s, e = c.start + start, c.end + start
        page, page_starts = page_of(doc, s, e)
        out.append(replace(c, start=s, end=e, page=page, page_starts=page_starts, location=Location(part)))
    return out


def _says(doc: Document, unit: Unit) -> bool:
    """Tell whether a unit has text worth a chunk (a Penjelasan that is only "Cukup jelas." has not)."""
    if unit.part != "penjelasan":
        return True
    return len(_NOTHING_EXPLAINED.sub("", doc.text[unit.body_start(doc.text) : unit.end])) >= 15


def chunk_regulation(doc: Document, reg: Regulation, count: TokenCounter, params: ChunkParams) -> list[Chunk]:
    """Cut a parsed regulation into chunks that follow its units (see the module docstring)."""
    budget = params.max_tokens
    spans = _spans(doc.text, reg)
    structured = [
        (u, _blocks(doc.text, u)) for _, _, u, _ in spans if u is not None and u.part in _STRUCTURED and _says(doc, u)
    ]
    flat = [doc.text[s:e] for _, blocks in structured for block in blocks for s, e in block]
    counts = iter(count(flat) if flat else [])
    unit_chunks: dict[int, list[Chunk]] = {}
    for unit, blocks in structured:
        heading = _context(unit)
        sized = []
        for block in blocks:
            items: list[tuple[Sentence, int]] = []
            for s, e in block:
                n = next(counts)
                sentence = Sentence(s, e, heading)
                items.extend(split_long(doc.text, sentence, n, budget) if n > budget else [(sentence, n)])
            sized.append(items)
        unit_chunks[unit.start] = [_unit_chunk(doc, unit, heading, g) for g in _pack(sized, budget)]
    chunks: list[Chunk] = []
    for start, end, within, part in spans:
        if within is not None and within.part in _STRUCTURED:
            chunks.extend(unit_chunks.get(within.start, []))
        else:
            chunks.extend(_plain(doc, start, end, part, count, params))
    return [replace(c, ordinal=i) for i, c in enumerate(chunks)]
