"""JSON Lines corpora: one document per line (id, title, text or pages, metadata)."""

from __future__ import annotations

import json
from typing import Any

from egov_qa.corpus.pdf import paged_document
from egov_qa.errors import CorpusError
from egov_qa.records import Document, Skipped

_RESERVED = {"id", "doc_id", "title", "text", "pages", "metadata"}


def _line_document(prefix: str, lineno: int, obj: Any) -> Document:
    if not isinstance(obj, dict):
        raise CorpusError("not a JSON object")
    ident = obj.get("id", obj.get("doc_id"))
    doc_id = f"{prefix}#{ident}" if ident not in (None, "") else f"{prefix}#L{lineno}"
    meta = obj.get("metadata") or {}
    if not isinstance(meta, dict):
        raise CorpusError("'metadata' is not an object")
    extra = {k: v for k, v in obj.items() if k not in _RESERVED and isinstance(v, str | int | float | bool)}
    meta = {**extra, **meta}
    title = str(obj.get("title") or "")
    text, pages = obj.get("text"), obj.get("pages")
    if isinstance(pages, list) and all(isinstance(p, str) for p in pages) and pages:
        return paged_document(doc_id, pages, title=title, metadata=meta)
    if not isinstance(text, str) or not text.strip():
        raise CorpusError("no 'text' string (or 'pages' list of strings)")
    return Document(doc_id=doc_id, text=text.strip(), title=title, metadata=meta)


def jsonl_documents(prefix: str, text: str) -> tuple[list[Document], list[Skipped]]:
    """Parse a .jsonl file's text; malformed lines are skipped with their line number and reason.

    Returns:
        The documents and the skipped lines.
    """
    docs: list[Document] = []
    skipped: list[Skipped] = []
    seen: set[str] = set()
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{prefix}:{lineno}"
        try:
            doc = _line_document(prefix, lineno, json.loads(line))
        except json.JSONDecodeError as exc:
            skipped.append(Skipped(where, f"malformed JSON: {exc.msg} at column {exc.colno}"))
            continue
        except CorpusError as exc:
            skipped.append(Skipped(where, str(exc)))
            continue
        if doc.doc_id in seen:
            skipped.append(Skipped(where, f"duplicate id {doc.doc_id!r}"))
            continue
        seen.add(doc.doc_id)
        docs.append(doc)
    return docs, skipped
