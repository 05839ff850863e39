"""Plain text and Markdown documents, with optional YAML front matter and byte decoding."""

from __future__ import annotations

import re
from typing import Any

import yaml

from egov_qa.corpus.clean import clean_news
from egov_qa.errors import CorpusError
from egov_qa.records import Document
from egov_qa.regulation import parse_identity

_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_MAX_NESTING = 20
FRONT_MATTER_KEYS = ("title", "date", "source", "url", "category", "author")
_MAX_TITLE_CHARS = 200
# characters no text file holds: C0 controls but tab, newlines and form feed; DEL and C1 controls
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
# front matter holds a few key: value lines; the cap and the refusal of aliases keep a crafted
# header ("billion laughs") from expanding into gigabytes
MAX_FRONT_MATTER = 16 * 1024


def decode_bytes(data: bytes) -> tuple[str, str | None]:
    """Decode a text file: UTF-8 first, then cp1252, then latin-1.

    Returns:
        The text, and a note naming the fallback encoding when one was needed.

    Raises:
        CorpusError: the bytes look binary (NUL bytes).
    """
    if b"\x00" in data:
        raise CorpusError("binary file (NUL bytes), not text")
    try:
        text, note = data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        text, note = _legacy_decode(data)
    controls = len(_CONTROLS.findall(text))
    if controls > max(8, len(text) // 100):
        raise CorpusError(f"binary file ({controls} control characters), not text")
    return text, note


def _legacy_decode(data: bytes) -> tuple[str, str]:
    try:
        return data.decode("cp1252"), "not UTF-8; decoded as cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "not UTF-8; decoded as latin-1"  # latin-1 decodes any bytes


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """Return (front matter mapping, body). Text without front matter gives ({}, text).

    Raises:
        CorpusError: the front matter is not a YAML mapping.
    """
    m = _FRONT_MATTER.match(text[: MAX_FRONT_MATTER + 16])
    if not m:
        if text.startswith(("---\n", "---\r\n")) and "\n---" in text[MAX_FRONT_MATTER:]:
            raise CorpusError(f"front matter over {MAX_FRONT_MATTER // 1024} KB; keep it to a few key: value lines")
        return {}, text
    if _nesting(m.group(1)) > _MAX_NESTING:
        raise CorpusError(f"front matter nested over {_MAX_NESTING} levels deep; keep it to key: value lines")
    try:
        if any(isinstance(event, yaml.AliasEvent) for event in yaml.parse(m.group(1), Loader=yaml.SafeLoader)):
            raise CorpusError("YAML aliases (*name) are not allowed in front matter")
        data = yaml.safe_load(m.group(1)) or {}
    except yaml.YAMLError as exc:
        raise CorpusError(f"invalid YAML front matter: {exc}") from exc
    if not isinstance(data, dict):
        raise CorpusError("front matter is not a mapping of key: value lines")
    return {str(k): v for k, v in data.items()}, text[m.end() :]


def _nesting(yaml_text: str) -> int:
    """Return the deepest bracket nesting of flow collections ([ and {), counted before YAML parses it."""
    depth = deepest = 0
    for c in yaml_text:
        if c in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif c in "]}":
            depth = max(0, depth - 1)
    return deepest


def _markdown_to_text(body: str) -> str:
    body = re.sub(r"^#{1,6}\s+", "", body, flags=re.MULTILINE)
    body = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", body)
    body = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", body)
    return re.sub(r"(\*\*|__)(.+?)\1", r"\2", body)


def _first_line_title(body: str) -> tuple[str, str]:
    lines = body.lstrip("\n").split("\n", 1)
    first = lines[0].strip()
    if first and len(first) <= _MAX_TITLE_CHARS and not first.endswith((".", ",", ";")):
        return first, lines[1] if len(lines) > 1 else ""
    return "", body


def text_document(doc_id: str, text: str, *, markdown: bool = False) -> Document:
    """Build a Document from a .txt or .md file's text.

    The title comes from front matter, else from a short first line; byline, category and date
    lines become metadata (front matter wins over what is found in the text).
    """
    front, body = split_front_matter(text)
    if markdown:
        body = _markdown_to_text(body)
    title = str(front.get("title") or "")
    if not title and parse_identity(body) is None:  # a regulation's first line is its type, not a title
        title, body = _first_line_title(body)
    cleaned, found = clean_news(body)
    meta: dict[str, Any] = {**found}
    for key, value in front.items():
        if key != "title" and value is not None:
            meta[key] = value if isinstance(value, str | int | float | bool) else str(value)
    if not cleaned.strip():
        raise CorpusError("no text after cleaning (empty document)")
    return Document(doc_id=doc_id, text=cleaned, title=title, metadata=meta)
