"""Records passed between egov-qa's parts: Document, Chunk, Citation, Hit, Evidence, Answer, reports."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, overload

from egov_qa.messages import labels
from egov_qa.regulation.cite import Path, location_text, short_name, status_text


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
class Location:
    """Where a passage stands in a regulation's structure.

    ``part`` is ``pasal``, ``penjelasan`` (the Penjelasan of Pasal ``pasal``), ``diktum``,
    ``menimbang``, ``mengingat``, ``penjelasan_umum``, ``lampiran``, ``pembukaan`` or
    ``penutup``. ``path`` is the ayat / huruf / angka the passage lies in, outermost first
    (empty when it spans several); ``bab``, ``bagian`` and ``paragraf`` are the headings above
    the Pasal. ``marks`` are the (offset in the passage, path) where each item starts, from
    which :meth:`at` tells where a sentence stands.
    """

    part: str
    pasal: str = ""
    path: Path = ()
    bab: str = ""
    bagian: str = ""
    paragraf: str = ""
    marks: tuple[tuple[int, Path], ...] = ()

    def at(self, offset: int) -> Location:
        """Return the location of the text at ``offset`` in the passage (its item's path, no marks)."""
        path = self.path
        for start, found in self.marks:
            if start > offset:
                break
            path = found
        return Location(self.part, self.pasal, path, self.bab, self.bagian, self.paragraf)

    def text(self, language: str) -> str:
        """Return the place as cited: "Pasal 22 ayat (1) huruf a" / "Article 22(1)(a)"."""
        return location_text(self.part, self.pasal, self.path, language)

    def as_json(self) -> dict[str, Any]:
        """Return the location as stored with a chunk."""
        return {
            "part": self.part, "pasal": self.pasal, "path": [list(p) for p in self.path], "bab": self.bab,
            "bagian": self.bagian, "paragraf": self.paragraf,
            "marks": [[start, [list(p) for p in path]] for start, path in self.marks],
        }  # fmt: skip

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Location:
        """Read a location stored by :meth:`as_json`."""

        def path(items: Any) -> Path:
            return tuple((str(k), str(v)) for k, v in items)

        return cls(
            part=str(data["part"]), pasal=str(data.get("pasal", "")), path=path(data.get("path", ())),
            bab=str(data.get("bab", "")), bagian=str(data.get("bagian", "")),
            paragraf=str(data.get("paragraf", "")),
            marks=tuple((int(start), path(p)) for start, p in data.get("marks", ())),
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class RegulationInfo:
    """What a document is as a regulation: its reference token and the indexed ones that amend or repeal it.

    The others are named by their tokens (``uu_19_2016``); ``partly_repealed_by`` are those that
    repeal some of its provisions ("ketentuan mengenai ... dicabut"). ``issuer`` is the code of the
    ministry of a Permen ("dagri"), which names it: "Permendagri 7/2019".
    """

    reference: str
    amended_by: tuple[str, ...] = ()
    repealed_by: tuple[str, ...] = ()
    partly_repealed_by: tuple[str, ...] = ()
    issuer: str = ""

    @property
    def repealed(self) -> bool:
        """Whether an indexed regulation repeals this one whole."""
        return bool(self.repealed_by)

    def name(self, language: str) -> str:
        """Return the regulation's short name: "UU 25/2009" / "Law 25/2009"."""
        return short_name(self.reference, language, self.issuer)


@dataclass(frozen=True, slots=True)
class Article:
    """A whole Pasal of a regulation as it stands in the text, with its Penjelasan.

    ``context`` is the BAB · Bagian · Paragraf it stands under; ``explanation`` is the text of
    its Penjelasan (None when the regulation has none for it); ``previous`` and ``following``
    name the neighbouring Pasal, to read on.
    """

    doc_id: str
    title: str
    pasal: str
    context: str
    text: str
    explanation: str | None
    page: int | None
    previous: str | None = None
    following: str | None = None
    regulation: RegulationInfo | None = None

    @property
    def citation(self) -> Citation:
        """The Pasal's citation."""
        return Citation(self.doc_id, self.title, page=self.page, regulation=self.regulation,
                        location=Location("pasal", self.pasal))  # fmt: skip


@dataclass(frozen=True, slots=True)
class Chunk:
    """A passage of a document, with character offsets into the document's cleaned text.

    ``page_starts`` are the offsets in ``text`` where a later PDF page begins; ``location`` is
    the passage's place in a regulation (None for other documents).
    """

    doc_id: str
    ordinal: int
    text: str
    start: int
    end: int
    heading: str = ""
    sentences: tuple[tuple[int, int], ...] = ()
    page: int | None = None
    location: Location | None = None
    page_starts: tuple[int, ...] = ()


# which metadata keys say what, across the formats egov-qa reads (front matter, trafilatura, JSONL)
SOURCE_KEYS = ("source", "sumber", "sitename", "hostname")
DATE_KEYS = ("date", "tanggal")
TYPE_KEYS = ("type", "doc_type", "jenis")


def meta_text(metadata: Mapping[str, Any], *keys: str) -> str:
    """Return the first non-empty value among ``keys`` of a document's metadata, as text ("" if none)."""
    for key in keys:
        value = metadata.get(key)
        if value not in (None, ""):
            return str(value).strip()
    return ""


@dataclass(frozen=True, slots=True)
class Citation:
    """Where a passage or a sentence stands, with what a reader needs to cite and find it.

    ``source`` is the publisher or site (empty when unknown); ``url`` is set only for an
    http(s) address, so a renderer may make it a link; ``page`` is the PDF page (1-based).
    For a regulation, ``regulation`` names it and any indexed regulation that amends or repeals
    it, and ``location`` is the place inside it (Pasal, ayat, huruf; BAB, Bagian).
    """

    doc_id: str
    title: str
    source: str = ""
    url: str | None = None
    date: str | None = None
    page: int | None = None
    doc_type: str = ""
    regulation: RegulationInfo | None = None
    location: Location | None = None

    @classmethod
    def of(
        cls,
        doc_id: str,
        title: str,
        metadata: Mapping[str, Any],
        page: int | None,
        *,
        regulation: RegulationInfo | None = None,
        location: Location | None = None,
    ) -> Citation:
        """Build the citation of a document's passage from its stored metadata."""
        url = meta_text(metadata, "url")
        return cls(
            doc_id=doc_id,
            title=title,
            source=meta_text(metadata, *SOURCE_KEYS),
            url=url if url.startswith(("http://", "https://")) else None,
            date=meta_text(metadata, *DATE_KEYS) or None,
            page=page,
            doc_type=meta_text(metadata, *TYPE_KEYS),
            regulation=regulation,
            location=location,
        )

    def text(self, language: str) -> str:
        """Return the citation as one line in ``language``.

        "Title, hlm. 3, 2024-11-19" for an article; "UU 25/2009 Pasal 21 huruf c, hlm. 20" /
        "Law 25/2009, Article 21(c), p. 20" for a regulation.
        """
        if self.regulation is not None:
            name = self.regulation.name(language)
            place = self.location.text(language) if self.location else ""
            parts = [f"{name} {place}".strip() if language == "id" else name]
            if place and language != "id":
                parts.append(place)
        else:
            parts = [self.title or self.doc_id]
        if self.page:
            parts.append(f"{labels(language)['page']} {self.page}")
        if self.date:
            parts.append(self.date)
        return ", ".join(parts)

    def status(self, language: str) -> str:
        """Say whether the regulation cited was amended or repealed ("diubah dengan UU 19/2016"), else ""."""
        if self.regulation is None:
            return ""
        reg = self.regulation
        return status_text(reg.amended_by, reg.repealed_by, reg.partly_repealed_by, language)


@dataclass(frozen=True, slots=True)
class Hit:
    """One retrieved passage.

    ``highlights`` are (start, end) offsets into ``text`` of the passage's evidence: its
    best-scoring sentence, and a second one scoring nearly as well (the same scorer makes them
    for ``search`` and ``ask``); in an :class:`Answer` also every sentence of the passage that
    the answer cites as evidence. ``terms`` are the offsets of the question's words found in it
    (filled by ``ask``), ``sentences`` of every sentence; ``start``/``end`` locate ``text`` in
    the document's cleaned text. ``score`` is the ranking's score: the cosine in dense mode,
    BM25 in lexical mode, the learned fusion's score in hybrid mode (not on the cosine's scale;
    a regulation the question names comes first whatever its score); ``dense_score`` (cosine)
    and ``lexical_score`` (BM25) are the two sides behind it.
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
    terms: tuple[tuple[int, int], ...] = ()
    sentences: tuple[tuple[int, int], ...] = ()
    dense_score: float | None = None
    lexical_score: float | None = None
    location: Location | None = None
    regulation: RegulationInfo | None = None
    page_starts: tuple[int, ...] = ()

    @property
    def citation(self) -> Citation:
        """Where this passage stands."""
        return Citation.of(
            self.doc_id, self.title, self.metadata, self.page, regulation=self.regulation, location=self.location
        )

    def citation_at(self, offset: int) -> Citation:
        """Where the text at ``offset`` in this passage stands: its own ayat/huruf and page."""
        page = self.page + sum(1 for p in self.page_starts if p <= offset) if self.page is not None else None
        location = self.location.at(offset) if self.location is not None else None
        return Citation.of(self.doc_id, self.title, self.metadata, page, regulation=self.regulation, location=location)


@dataclass(frozen=True, slots=True)
class Evidence:
    """One answering sentence, as it stands in a source, with its citation.

    ``start``/``end`` are offsets into the document's cleaned text; ``chunk_start``/``chunk_end``
    into the text of the passage (the :class:`Hit`) it was found in. ``score`` is the sentence
    scorer's (a logit: higher is better, comparable within one answer). ``answer`` is the span
    of the short answer inside ``text`` (the definition after "adalah" for an Apa itu
    question), where one was found for a question type whose short answers measured right
    often enough.
    """

    text: str
    citation: Citation
    score: float
    hit_rank: int
    chunk_id: int
    start: int
    end: int
    chunk_start: int
    chunk_end: int
    answer: tuple[int, int] | None = None

    @property
    def short_answer(self) -> str | None:
        """The short answer's text, or None."""
        return self.text[self.answer[0] : self.answer[1]] if self.answer else None

    @property
    def doc_id(self) -> str:
        """The id of the document the sentence stands in."""
        return self.citation.doc_id


HIGH_CONFIDENCE = 0.8


def confidence_level(confidence: float, threshold: float) -> str:
    """Name a confidence: high from HIGH_CONFIDENCE up, medium from the answer threshold, low under it."""
    if confidence < threshold:
        return "low"
    return "high" if confidence >= max(HIGH_CONFIDENCE, threshold) else "medium"


@dataclass(frozen=True, slots=True)
class Answer:
    """The answer to a question: evidence sentences, the passages they come from, and how sure.

    ``confidence`` is the calibrated probability (0-1) that the top evidence answers the
    question, on the same scale in every mode and language. ``answered`` is False when it is
    under ``threshold``: then ``evidence`` is empty, no sentence is highlighted, and ``hits``
    hold the closest passages. ``message`` says which, in the question's language.
    """

    question: str
    language: str
    answered: bool
    confidence: float
    threshold: float
    evidence: tuple[Evidence, ...]
    hits: tuple[Hit, ...]
    message: str

    @property
    def short_answer(self) -> str | None:
        """The short answer inside the top evidence sentence, where one is shown."""
        return self.evidence[0].short_answer if self.evidence else None

    @property
    def level(self) -> str:
        """The confidence in a word: ``"high"``, ``"medium"`` (answered) or ``"low"`` (declined)."""
        return confidence_level(self.confidence, self.threshold) if self.answered else "low"


@dataclass(frozen=True, slots=True)
class SearchResult:
    """The hits for one query, best first, with the query's detected language and the mode used.

    Behaves as a sequence of :class:`Hit`: ``result[0]``, ``len(result)``, ``for hit in result``.
    """

    query: str
    language: str
    hits: tuple[Hit, ...]
    truncated: bool = False
    mode: str = "dense"

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
