"""Indonesian-aware sentence splitting and heading-aware chunking with character offsets."""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from egov_qa.records import Chunk, Document

TokenCounter = Callable[[Sequence[str]], list[int]]

# Bump when chunk_document or the regulation parser cut the same text differently: the next ingest of
# an index built by an older version cuts every document again (re-embedding only changed chunks).
# tests/test_chunking.py holds a fingerprint of the current cut. 2: regulations by Pasal, page breaks
# inside a sentence joined. 3: OCR'd headings, amendments' quoted headings, relations by ministry.
SPLITTER_VERSION = 3
ABBREVIATIONS = frozenset(
    """
    no tbk s.h s.e s.h.i s.ag s.kom s.pd s.sos s.t s.ip m.h m.si m.m m.pd m.kom
    m.t m.sc m.a ph.d prof dr drs dra ir h hj kh jl jln kec kab kel prov yth a.n u.p sdr bpk
    tgl hlm hal vol nip telp pt cv ud st jend kol mayjen brigjen letjen kapt kompol akbp irjen
    mr mrs ms e.g i.e vs ca cf tsb ybs sbb spt
    """.split()
)
# dll., dsb., dst. and dkk. end lists, so before a capitalised word they end the sentence too
_BOUNDARY = re.compile(r"(?:[.!?…]+|\.{3})[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9À-Ý])")
_LIST_MARKER = re.compile(
    r"^\s*(?:\(?[a-z]\)|\(?\d{1,3}[.)]|\(\d{1,3}\)|[a-z]\.|[ivxlc]{1,6}[.)]|[-•*·▪])\s+", re.IGNORECASE
)
_TERMINAL = (".", ",", ";", ":", "!", "?", "…", '"', "”")
_SENTENCE_END = (".", ";", ":", "!", "?", "…", '"', "”")
_HEADING_MARK = "\0heading"
_STRUCTURE = re.compile(r"^(?:BAB|Bab|Bagian|BAGIAN|Paragraf|PARAGRAF)\b")
_ARTICLE = re.compile(r"^(?:Pasal|PASAL)\s+\d+")
_MAX_HEADING_CHARS = 80
_MAX_HEADING_WORDS = 10


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence's span in a document's text and the heading it stands under."""

    start: int
    end: int
    heading: str


def _is_abbreviation(text: str, dot: int) -> bool:
    """Tell whether the period at ``dot`` ends an abbreviation, an initial or a list number."""
    left = text.rfind(" ", 0, dot)
    left = max(left, text.rfind("\n", 0, dot)) + 1
    word = text[left : dot + 1].lstrip("\"'“‘([").lower()
    core = word[:-1]
    if core in ABBREVIATIONS:
        return True
    if len(core) == 1 and core.isalpha():
        return True
    if re.fullmatch(r"(?:[a-z]\.)+[a-z]", core):
        return True
    segment_start = left == 0 or text[:left].strip() == ""
    return segment_start and bool(re.fullmatch(r"\d{1,3}|[ivxlc]{1,6}", core))


def segment_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Return the (start, end) of each sentence in ``text[start:end]``, one paragraph or item."""
    spans: list[tuple[int, int]] = []
    seg = text[start:end]
    cut = 0
    for m in _BOUNDARY.finditer(seg):
        if seg[m.start()] == "." and m.group().rstrip("\"'”’)]") == "." and _is_abbreviation(seg, m.start()):
            continue
        spans.append((cut, m.end()))
        cut = m.end()
    spans.append((cut, len(seg)))
    out = []
    for s, e in spans:
        piece = seg[s:e]
        lead = len(piece) - len(piece.lstrip())
        trail = len(piece) - len(piece.rstrip())
        if e - trail > s + lead:
            out.append((start + s + lead, start + e - trail))
    return out


def _is_heading(line: str, prev: str | None, nxt: str) -> bool:
    stripped = line.strip()
    if nxt.strip()[:1].islower():
        return False
    if not stripped or len(stripped) > _MAX_HEADING_CHARS or stripped.endswith(_TERMINAL):
        return False
    if len(stripped.split()) > _MAX_HEADING_WORDS or not any(c.isalpha() for c in stripped):
        return False
    if _LIST_MARKER.match(stripped) or stripped[0].islower() or "|" in stripped or "\t" in stripped:
        return False
    return prev is None or prev == _HEADING_MARK or not prev.strip() or prev.rstrip().endswith(_SENTENCE_END)


def split_sentences(text: str) -> list[Sentence]:
    """Split a cleaned document into sentences with offsets and the heading each stands under.

    Blank lines and list items ("a.", "1.", "(2)", bullets) start new segments; short lines
    without final punctuation after a finished sentence are headings, not sentences. A
    regulation's "Pasal N" heading keeps the BAB/Bagian/Paragraf headings above it.
    """
    sentences: list[Sentence] = []
    group: list[str] = []
    section = ""
    heading = ""
    seg_start: int | None = None
    prev: str | None = None
    pos = 0

    def flush(seg_end: int) -> None:
        if seg_start is not None:
            sentences.extend(Sentence(s, e, heading) for s, e in segment_sentences(text, seg_start, seg_end))

    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        body = line.rstrip("\r\n")
        if _is_heading(body, prev, lines[i + 1] if i + 1 < len(lines) else ""):
            flush(pos)
            seg_start = None
            if prev != _HEADING_MARK:
                group = [section] if section and _ARTICLE.match(body) else []
            group.append(body.strip())
            if _STRUCTURE.match(group[0]):
                section = " · ".join(g for g in group if not _ARTICLE.match(g))
            heading = " · ".join(group)
            prev = _HEADING_MARK
        elif not body.strip():
            flush(pos)
            seg_start = None
            prev = prev if prev == _HEADING_MARK else body
        else:
            if seg_start is None or _LIST_MARKER.match(body):
                flush(pos)
                seg_start = pos
            prev = body
        pos += len(line)
    flush(pos)
    if not sentences:
        # nothing but heading-like lines (a list of names, a bare outline): keep them as text
        return [Sentence(m.start(), m.end(), "") for m in re.finditer(r"[^\n]*\S[^\n]*", text)]
    return sentences


@dataclass(frozen=True, slots=True)
class ChunkParams:
    """How documents are cut: a token budget per chunk and whole sentences of overlap."""

    max_tokens: int = 256
    overlap_sentences: int = 1

    def as_dict(self) -> dict[str, int]:
        """Return the parameters for the index manifest."""
        return {
            "max_tokens": self.max_tokens,
            "overlap_sentences": self.overlap_sentences,
            "splitter_version": SPLITTER_VERSION,
        }


def split_long(text: str, sent: Sentence, tokens: int, budget: int) -> list[tuple[Sentence, int]]:
    """Cut a sentence longer than the budget at spaces into near-equal pieces."""
    n = -(-tokens // budget)
    out: list[tuple[Sentence, int]] = []
    s = sent.start
    for i in range(1, n + 1):
        target = sent.start + (sent.end - sent.start) * i // n
        e = sent.end if i == n else text.rfind(" ", s + 1, target + 1)
        if e <= s:
            e = sent.end if i == n else target
        if e > s:
            out.append((Sentence(s, e, sent.heading), -(-tokens // n)))
        s = e + 1 if e < sent.end and text[e] == " " else e
    return out


def _units(doc: Document, count: TokenCounter, budget: int) -> list[tuple[Sentence, int]]:
    sents = split_sentences(doc.text)
    counts = count([doc.text[s.start : s.end] for s in sents]) if sents else []
    units: list[tuple[Sentence, int]] = []
    for sent, n in zip(sents, counts, strict=True):
        units.extend(split_long(doc.text, sent, n, budget) if n > budget else [(sent, n)])
    return units


def page_of(doc: Document, start: int, end: int) -> tuple[int | None, tuple[int, ...]]:
    """Return the page a span starts on (1-based; None without pages) and where later pages start in it."""
    if not doc.pages:
        return None, ()
    return bisect.bisect_right(doc.pages, start), tuple(p - start for p in doc.pages if start < p < end)


def _make_chunk(doc: Document, ordinal: int, group: list[tuple[Sentence, int]]) -> Chunk:
    start, end = group[0][0].start, group[-1][0].end
    rel = tuple((s.start - start, s.end - start) for s, _ in group)
    page, page_starts = page_of(doc, start, end)
    return Chunk(
        doc.doc_id, ordinal, doc.text[start:end], start, end, group[0][0].heading, rel, page, page_starts=page_starts
    )


def chunk_document(doc: Document, count: TokenCounter, params: ChunkParams) -> list[Chunk]:
    """Cut a document into chunks of whole sentences within ``params.max_tokens`` tokens.

    Consecutive chunks share ``params.overlap_sentences`` sentences; a chunk at least half
    full closes where a new heading begins. Offsets point into ``doc.text``.
    """
    budget = params.max_tokens
    units = _units(doc, count, budget)
    chunks: list[Chunk] = []
    group: list[tuple[Sentence, int]] = []
    used = 0
    for unit in units:
        new_section = bool(group) and unit[0].heading != group[-1][0].heading
        if group and (used + unit[1] > budget or (new_section and used >= budget // 2)):
            chunks.append(_make_chunk(doc, len(chunks), group))
            keep = group[-params.overlap_sentences :] if params.overlap_sentences and not new_section else []
            if sum(n for _, n in keep) + unit[1] > budget:
                keep = []
            group, used = list(keep), sum(n for _, n in keep)
        group.append(unit)
        used += unit[1]
    if group:
        chunks.append(_make_chunk(doc, len(chunks), group))
    return chunks
