"""PDF documents: the text layer with pypdf, page starts kept for citation."""

from __future__ import annotations

import io
import logging
from typing import Any

from egov_qa.corpus.clean import clean_pages
from egov_qa.errors import CorpusError
from egov_qa.records import Document

_MIN_CHARS_PER_PAGE = 20
_CLOSERS = (".", ";", ":", "!", "?", '"', "”")


def join_pages(pages: list[str]) -> tuple[str, tuple[int, ...]]:
    """Join cleaned page texts; return the text and each page's start offset.

    Pages are joined with a blank line, except where a sentence runs on over the page break
    (the page ends without closing punctuation and the next begins in lower case): there a
    line break keeps the sentence, the paragraph or the ayat whole.
    """
    text = ""
    starts: list[int] = []
    for page in pages:
        if text:
            text += "\n" if _runs_on(text, page) else "\n\n"
        starts.append(len(text))
        text += page
    return text, tuple(starts)


def _runs_on(before: str, page: str) -> bool:
    """Tell whether a sentence runs on over the page break: no closing punctuation, then a lower-case start."""
    tail, head = before.rstrip(), page.lstrip()
    return bool(tail and head) and not tail.endswith(_CLOSERS) and head[0].islower()


def paged_document(doc_id: str, pages: list[str], *, title: str, metadata: dict[str, Any]) -> Document:
    """Clean page texts (running headers, page numbers) and build one Document.

    Raises:
        CorpusError: the pages hold (almost) no text, as in a scanned PDF.
    """
    if sum(len(p.strip()) for p in pages) < _MIN_CHARS_PER_PAGE * max(1, len(pages)) // 4:
        raise CorpusError("no text layer (a scanned PDF?); OCR it first")
    text, starts = join_pages(clean_pages(pages))
    if not text.strip():
        raise CorpusError("no text after cleaning")
    return Document(doc_id=doc_id, text=text, title=title, metadata=metadata, pages=starts)


def pdf_document(doc_id: str, data: bytes) -> Document:
    """Build a Document from a PDF's bytes.

    Raises:
        CorpusError: the PDF is unreadable, encrypted or has no text layer.
    """
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise CorpusError("encrypted PDF")
        pages = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise CorpusError(f"unreadable PDF: {exc}") from exc
    title = str(info.title).strip() if info is not None and info.title else ""
    meta: dict[str, Any] = {"pages": len(pages), "format": "pdf"}
    return paged_document(doc_id, pages, title=title, metadata=meta)
