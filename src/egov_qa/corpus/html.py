"""HTML pages: main text, title and date extracted with trafilatura."""

from __future__ import annotations

from typing import Any

from egov_qa.corpus.clean import clean_news
from egov_qa.errors import CorpusError
from egov_qa.records import Document


def html_document(doc_id: str, html: str, *, url: str | None = None) -> Document:
    """Build a Document from an HTML page's main text.

    Raises:
        CorpusError: no main text could be extracted (broken or empty page).
    """
    import trafilatura

    try:
        extracted = trafilatura.bare_extraction(
            html, url=url, with_metadata=True, include_comments=False, include_tables=True
        )
    except Exception as exc:  # trafilatura raises many parser error types on broken markup
        raise CorpusError(f"HTML could not be parsed: {exc}") from exc
    text = getattr(extracted, "text", None) if extracted is not None else None
    if not text or not text.strip():
        raise CorpusError("no main text found in the HTML page")
    title = (getattr(extracted, "title", None) or "").strip()
    paragraphs = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if title and paragraphs and paragraphs[0] == title:
        paragraphs = paragraphs[1:]
    cleaned, meta = clean_news("\n\n".join(paragraphs))
    if not cleaned:
        raise CorpusError("no main text found in the HTML page")
    extra: dict[str, Any] = {
        key: value for key in ("date", "author", "sitename", "url") if (value := getattr(extracted, key, None))
    }
    if url:
        extra["url"] = url
    return Document(doc_id=doc_id, text=cleaned, title=title, metadata={**meta, **extra})
