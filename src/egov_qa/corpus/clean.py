"""Cleaning of Indonesian news and regulation text: boilerplate out, bylines into metadata."""

from __future__ import annotations

import re
from collections import Counter

_RELATED = re.compile(r"^\s*(baca juga|simak juga|lihat juga|artikel terkait)\s*:", re.IGNORECASE)
_BYLINE = re.compile(
    r"^\s*(reporter|editor|penulis|pewarta|kategori|sumber|fotografer|redaktur)\s*:\s*(.*?)\s*$",
    re.IGNORECASE,
)
_BYLINE_KEYS = {
    "reporter": "reporter",
    "pewarta": "reporter",
    "editor": "editor",
    "redaktur": "editor",
    "penulis": "author",
    "kategori": "category",
    "sumber": "source",
    "fotografer": "photographer",
}
_DAYS = r"(?:senin|selasa|rabu|kamis|jumat|jum'at|sabtu|minggu|ahad)"
_MONTHS = {
    "januari": 1,
    "februari": 2,
    "pebruari": 2,
    "maret": 3,
    "april": 4,
    "mei": 5,
    "juni": 6,
    "juli": 7,
    "agustus": 8,
    "september": 9,
    "oktober": 10,
    "november": 11,
    "nopember": 11,
    "desember": 12,
}
_DATE_NUMERIC = re.compile(
    rf"^\s*(?:{_DAYS}\s*,?\s*)?(\d{{1,2}})[-/.](\d{{1,2}})[-/.](\d{{4}})"
    r"(?:\s*[, ]\s*\d{1,2}[:.]\d{2}(?:[:.]\d{2})?)?\s*(?:WIB|WITA|WIT)?\s*$",
    re.IGNORECASE,
)
_DATE_WORDS = re.compile(
    rf"^\s*(?:{_DAYS}\s*,?\s*)?(\d{{1,2}})\s+([a-z]+)\s+(\d{{4}})"
    r"(?:\s*[|,-]?\s*\d{1,2}[:.]\d{2}(?:[:.]\d{2})?)?\s*(?:WIB|WITA|WIT)?\s*$",
    re.IGNORECASE,
)
_PAGE_NUMBER = re.compile(
    r"^\s*(?:[-–—]\s*\d{1,4}\s*[-–—]|\d{1,4}|halaman\s+\d+(?:\s+dari\s+\d+)?|page\s+\d+(?:\s+of\s+\d+)?"
    r"|\d{1,4}\s*/\s*\d{1,4})\s*$",
    re.IGNORECASE,
)
_DATE_SCAN_LINES = 12
# "Pasal 3" or "BAB II" at a page's top is structure, even when every page starts with one
_STRUCTURAL = re.compile(r"^(?:pasal|bab|bagian|paragraf)\b")
# the cue at a page's foot that repeats the next page's first words: "e. bahwa . . ."
_CONTINUATION = re.compile(r"^\s*.{0,60}?(?:\.\s){2}\.\s*$|^\s*.{0,60}?\.{3}\s*$")


def parse_date_line(line: str) -> str | None:
    """Return the ISO date of an Indonesian dateline ("Selasa 19-11-2024,11:25 WIB"), else None."""
    m = _DATE_NUMERIC.match(line)
    if m:
        day, month, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
    else:
        m = _DATE_WORDS.match(line)
        if not m or m.group(2).lower() not in _MONTHS:
            return None
        day, month, year = int(m.group(1)), _MONTHS[m.group(2).lower()], int(m.group(3))
    if not (1 <= day <= 31 and 1 <= month <= 12):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def clean_news(text: str) -> tuple[str, dict[str, str]]:
    """Drop related-article lines; lift byline, category and dateline lines into metadata.

    Returns:
        The cleaned text and the metadata found (keys: reporter, editor, author, category,
        source, photographer, date).
    """
    meta: dict[str, str] = {}
    kept: list[str] = []
    for i, line in enumerate(text.splitlines()):
        if _RELATED.match(line):
            continue
        byline = _BYLINE.match(line)
        if byline and len(line) < 120:
            value = byline.group(2)
            key = _BYLINE_KEYS[byline.group(1).lower()]
            if value and key not in meta:
                meta[key] = value
            continue
        if i < _DATE_SCAN_LINES and "date" not in meta:
            date = parse_date_line(line)
            if date:
                meta["date"] = date
                continue
        kept.append(line.rstrip())
    return normalise_blank_lines("\n".join(kept)), meta


def normalise_blank_lines(text: str) -> str:
    """Trim trailing spaces, squeeze runs of blank lines to one, strip the ends."""
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def _edge_key(line: str) -> str:
    return re.sub(r"\d+", "#", re.sub(r"\s+", " ", line.strip().lower()))


def clean_pages(pages: list[str], *, edge_lines: int = 3, min_share: float = 0.5) -> list[str]:
    """Remove page numbers, continuation cues and headers/footers that repeat across PDF pages.

    A line among the first or last ``edge_lines`` non-empty lines of a page is a running
    header/footer when (digits ignored) it appears on at least ``min_share`` of the pages.
    """
    split = [page.splitlines() for page in pages]
    edges = [_edge_indices(lines, edge_lines) for lines in split]
    counts: Counter[str] = Counter()
    for lines, idx in zip(split, edges, strict=True):
        counts.update({_edge_key(lines[i]) for i in idx})
    threshold = max(3, int(min_share * len(pages) + 0.5))
    running = {k for k, c in counts.items() if c >= threshold and k and not _STRUCTURAL.match(k)}
    cleaned = []
    for lines, idx in zip(split, edges, strict=True):
        # the cue is the last line above the page number, if the page ends with one
        last = max((i for i in idx if not _PAGE_NUMBER.match(lines[i])), default=-1)
        kept = [
            ln
            for i, ln in enumerate(lines)
            if not _PAGE_NUMBER.match(ln)
            and not (i in idx and _edge_key(ln) in running)
            and not (i == last and _CONTINUATION.match(ln))
        ]
        cleaned.append(normalise_blank_lines(_unlayout("\n".join(kept))))
    return cleaned


def _edge_indices(lines: list[str], n: int) -> set[int]:
    nonblank = [i for i, ln in enumerate(lines) if ln.strip()]
    return set(nonblank[:n] + nonblank[-n:])


def _unlayout(text: str) -> str:
    """Undo ``pdftotext -layout`` indentation: strip lines and squeeze inner runs of spaces."""
    return "\n".join(re.sub(r"[ \t]{2,}", " ", ln.strip()) for ln in text.splitlines())
