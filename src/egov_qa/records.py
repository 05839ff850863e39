"""Records passed between egov-qa's parts: Document, Chunk, Hit, SearchResult, IngestReport."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, overload


def content_hash(text: str, title: str = "", metadata: Mapping[str, Any] | None = None) -> str:
    """Return a stable SHA-256 of what a document says (text, title and metadata)."""
    payload = json.dumps(
        {"text": text, "title": title, "metadata": dict(metadata or {})},
        ensure_ascii=False,
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Document:
    """One cleaned source document.

    ``doc_id`` is stable (a corpus file's path relative to the corpus folder); ``pages`` holds
    the character offset where each PDF page starts in ``text`` (empty for other formats).
    """

    doc_id: str
    text: str
    title: str = ""
    metadata: Mapping[str, Any] = field(default_factory=dict)
    pages: tuple[int, ...] = ()

    @property
    def content_hash(self) -> str:
        """SHA-256 of text, title, metadata and page starts: changes when the document does."""
        meta = {**dict(self.metadata), "__pages__": list(self.pages)}
        return content_hash(self.text, self.title, meta)


@dataclass(frozen=True, slots=True)
class Chunk:
    """A passage of a document, with character offsets into the document's cleaned text."""

    doc_id: str
    ordinal: int
    text: str
    start: int
    end: int
    heading: str = ""
    sentences: tuple[tuple[int, int], ...] = ()
    page: int | None = None


@dataclass(frozen=True, slots=True)
class Hit:
    """One retrieved passage.

    ``highlights`` are (start, end) offsets into ``text`` of the sentence(s) that best answer
    the query; ``start``/``end`` locate ``text`` in the document's cleaned text.
    """

    doc_id: str
    title: str
    text: str
    score: float
    rank: int
    metadata: Mapping[str, Any]
    highlights: tuple[tuple[int, int], ...]
    chunk_id: int
    start: int
    end: int
    heading: str = ""
    page: int | None = None


@dataclass(frozen=True, slots=True)
class SearchResult:
    """The hits for one query, best first, with the query's detected language.

    Behaves as a sequence of :class:`Hit`: ``result[0]``, ``len(result)``, ``for hit in result``.
    """

    query: str
    language: str
    hits: tuple[Hit, ...]
    truncated: bool = False

    def __len__(self) -> int:
        return len(self.hits)

    def __iter__(self) -> Iterator[Hit]:
        return iter(self.hits)

    @overload
    def __getitem__(self, i: int) -> Hit: ...
    @overload
    def __getitem__(self, i: slice) -> tuple[Hit, ...]: ...
    def __getitem__(self, i: int | slice) -> Hit | tuple[Hit, ...]:
        return self.hits[i]


@dataclass(frozen=True, slots=True)
class Skipped:
    """A corpus file or line that was not ingested, and why."""

    source: str
    reason: str


@dataclass(frozen=True, slots=True)
class IngestReport:
    """What one ingest did: document ids per outcome, skipped inputs with reasons, counts."""

    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    notes: tuple[Skipped, ...] = ()
    chunks_embedded: int = 0
    total_documents: int = 0
    total_chunks: int = 0
    seconds: float = 0.0
