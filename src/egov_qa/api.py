"""The Python API: build_index, load_index and Index.search."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from egov_qa import __version__
from egov_qa.chunking import ChunkParams, chunk_document
from egov_qa.config import DEFAULT_MODEL, Settings
from egov_qa.corpus import CorpusRead, read_corpus
from egov_qa.embedding import Embedder, get_embedder
from egov_qa.errors import IndexMismatchError, IndexNotFoundError, QueryError
from egov_qa.language import detect_language
from egov_qa.qa import DEFAULT_WEIGHTS, EvidenceWeights, build_answer, score_units, threshold_for
from egov_qa.records import Answer, Chunk, Document, IngestReport, SearchResult, Skipped
from egov_qa.retrieval import (
    DEFAULT_FUSION,
    MODES,
    Facets,
    Filters,
    FusionWeights,
    Mode,
    document_facets,
    lexical_query,
    rank,
)
from egov_qa.search import SentenceVectors, make_hits
from egov_qa.store import IndexReader, open_writer, read_manifest

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
_QUERY_RESERVE = 16
# prompt, special tokens and a typical section heading embedded with every chunk
_PASSAGE_RESERVE = 48
_MIN_CHUNK_TOKENS = 32


def _embed_input(doc: Document, chunk: Chunk) -> str:
    """Return the text a chunk is embedded as: title and heading give the passage its context."""
    return "\n".join(part for part in (doc.title, chunk.heading, chunk.text) if part)


def _model_record(embedder: Embedder) -> dict[str, Any]:
    return {
        "name": embedder.name,
        "fingerprint": embedder.fingerprint(),
        "dimension": embedder.dimension,
        "query_prompt": embedder.query_prompt,
        "passage_prompt": embedder.passage_prompt,
        "max_tokens": embedder.max_tokens,
    }


def _check_model(index_dir: Path, built: dict[str, Any], embedder: Embedder) -> None:
    if built["name"] != embedder.name or built.get("fingerprint") != embedder.fingerprint():
        raise IndexMismatchError(
            f"The index at {index_dir} was built with model {built['name']!r} "
            f"(fingerprint {built.get('fingerprint')}); the model asked for is {embedder.name!r} "
            f"(fingerprint {embedder.fingerprint()}). Use --model {built['name']!r}, or rebuild: "
            f"egov-qa ingest CORPUS --index {index_dir} --model {embedder.name!r} --full"
        )


def _open_base(index_dir: Path) -> IndexReader | None:
    try:
        return IndexReader(index_dir)
    except IndexNotFoundError:
        return None


def _collect(docs: Iterable[Document] | str | Path) -> CorpusRead:
    if isinstance(docs, str | Path):
        return read_corpus(Path(docs))
    out = CorpusRead()
    seen: set[str] = set()
    for doc in docs:
        if doc.doc_id in seen:
            out.skipped.append(Skipped(doc.doc_id, "duplicate doc_id; the first one was kept"))
        elif not doc.text.strip():
            out.skipped.append(Skipped(doc.doc_id, "empty text"))
        else:
            seen.add(doc.doc_id)
            out.documents.append(doc)
    return out


def _protected(old_ids: Iterable[str], skipped: list[Skipped]) -> set[str]:
    """Indexed documents whose file was skipped this time keep their previous version."""
    files = {s.source.rsplit(":", 1)[0] if s.source.rsplit(":", 1)[-1].isdigit() else s.source for s in skipped}
    return {d for d in old_ids if d in files or d.split("#", 1)[0] in files}


def build_index(
    docs: Iterable[Document] | str | Path,
    index_dir: str | Path,
    *,
    model: str | None = None,
    full: bool = False,
    params: ChunkParams | None = None,
    settings: Settings | None = None,
    progress: Progress | None = None,
    embedder: Embedder | None = None,
) -> IngestReport:
    """Build or update the index at ``index_dir`` from documents or a corpus folder.

    Only new and changed documents (by ``doc_id`` and content hash) are embedded; documents
    absent from ``docs`` are removed, except those whose file was skipped as unreadable.
    The previous index stays readable until the new one is swapped in.

    Args:
        docs: Documents, or the path of a corpus folder.
        index_dir: where the index lives.
        model: the embedding model; default: the index's own, else the settings' or the default.
        full: re-embed everything, e.g. to change model.
        params: chunking parameters (default ``ChunkParams()``; a change needs ``full``).
        settings: where models are cached (default ``Settings.from_env()``).
        progress: called with (chunks embedded, chunks to embed).
        embedder: an already loaded embedder to use instead of loading ``model``.

    Returns:
        What was added, updated, removed, kept unchanged and skipped.
    """
    started = time.perf_counter()
    settings = settings or Settings.from_env()
    index_dir = Path(index_dir)
    params = params or ChunkParams()
    base = _open_base(index_dir)
    try:
        built_model = base.manifest["model"]["name"] if base else None
        if embedder is None:
            name = model or built_model or settings.model or DEFAULT_MODEL
            embedder = get_embedder(name, models_dir=settings.models_dir)
        if base and not full:
            _check_model(index_dir, base.manifest["model"], embedder)
            _check_chunking(index_dir, base.manifest, params)
        read = _collect(docs)
        return _ingest(index_dir, None if full else base, embedder, read, params, progress, started)
    finally:
        if base is not None:
            base.close()


def _check_chunking(index_dir: Path, manifest: dict[str, Any], params: ChunkParams) -> None:
    if manifest.get("chunking") != params.as_dict():
        raise IndexMismatchError(
            f"The index at {index_dir} was chunked with {manifest.get('chunking')}; asked for "
            f"{params.as_dict()}. Rebuild: egov-qa ingest CORPUS --index {index_dir} --full"
        )


def _ingest(
    index_dir: Path,
    base: IndexReader | None,
    embedder: Embedder,
    read: CorpusRead,
    params: ChunkParams,
    progress: Progress | None,
    started: float,
) -> IngestReport:
    with open_writer(index_dir, dimension=embedder.dimension, base=base) as writer:
        old = writer.hashes()
        new = {d.doc_id: d for d in read.documents}
        keep = _protected(old.keys() - new.keys(), read.skipped)
        removed = sorted(old.keys() - new.keys() - keep)
        added = sorted(new.keys() - old.keys())
        updated = sorted(d for d in new.keys() & old.keys() if new[d].content_hash != old[d])
        unchanged = sorted((new.keys() & old.keys()) - set(updated)) + sorted(keep)
        writer.remove(removed + updated)
        todo = [new[d] for d in added + updated]
        chunks = [chunk_document(doc, embedder.count_tokens, _fit_params(embedder, doc, params)) for doc in todo]
        inputs = [_embed_input(doc, c) for doc, cs in zip(todo, chunks, strict=True) for c in cs]
        total, done = len(inputs), 0

        def tick(n: int) -> None:
            nonlocal done
            done += n
            if progress is not None:
                progress(done, total)

        vectors = embedder.embed_passages(inputs, progress=tick)
        pos = 0
        for doc, cs in zip(todo, chunks, strict=True):
            writer.add(doc, cs, vectors[pos : pos + len(cs)])
            pos += len(cs)
        notes = list(read.notes) + [Skipped(d, "file skipped this time; previous version kept") for d in sorted(keep)]
        report = IngestReport(
            added=tuple(added),
            updated=tuple(updated),
            removed=tuple(removed),
            unchanged=tuple(unchanged),
            skipped=tuple(read.skipped),
            notes=tuple(notes),
            chunks_embedded=total,
            total_documents=writer.counts()["documents"],
            total_chunks=writer.counts()["chunks"],
            seconds=time.perf_counter() - started,
        )
        writer.commit(_manifest(embedder, params, writer.counts(), report))
    return report


def _fit_params(embedder: Embedder, doc: Document, params: ChunkParams) -> ChunkParams:
    """Shrink the chunk budget when title, heading and prompt would overflow the model's limit."""
    title = embedder.count_tokens([doc.title])[0] if doc.title else 0
    room = embedder.max_tokens - _PASSAGE_RESERVE - title
    return params if params.max_tokens <= room else replace(params, max_tokens=max(_MIN_CHUNK_TOKENS, room))


def _manifest(embedder: Embedder, params: ChunkParams, counts: dict[str, int], report: IngestReport) -> dict[str, Any]:
    return {
        "model": _model_record(embedder),
        "chunking": params.as_dict(),
        "counts": counts,
        "egov_qa_version": __version__,
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "last_ingest": {
            "added": len(report.added),
            "updated": len(report.updated),
            "removed": len(report.removed),
            "unchanged": len(report.unchanged),
            "chunks_embedded": report.chunks_embedded,
            "skipped": [{"source": s.source, "reason": s.reason} for s in report.skipped],
            "notes": [{"source": s.source, "reason": s.reason} for s in report.notes],
        },
    }


class Index:
    """A loaded index and its embedding model, ready to search. Read-only and thread-safe to share."""

    def __init__(self, reader: IndexReader, embedder: Embedder) -> None:
        """Wrap an opened reader and the embedder it was built with (use :func:`load_index`)."""
        self._reader = reader
        self.embedder = embedder
        self._sentence_vectors = SentenceVectors()
        self._facets: dict[str, Facets] | None = None
        self._chunk_docs: dict[int, str] | None = None
        self._warned_lexical = False

    @property
    def manifest(self) -> dict[str, Any]:
        """The index's manifest: model, chunking, counts, versions, last ingest."""
        return dict(self._reader.manifest)

    @property
    def path(self) -> Path:
        """The index folder."""
        return self._reader.index_dir

    def search(
        self,
        query: str,
        *,
        top_k: int = 5,
        highlight: bool = True,
        mode: Mode = "hybrid",
        filters: Filters | None = None,
        fusion: FusionWeights | None = None,
    ) -> SearchResult:
        """Return the ``top_k`` passages that best answer ``query``, best first.

        Args:
            query: a question or keywords, in Indonesian or English.
            top_k: how many passages.
            highlight: score the hits' sentences for evidence highlights (``False`` is faster
                for bulk retrieval; every ``Hit.highlights`` is then empty).
            mode: ``"hybrid"`` (default: embeddings and BM25 fused per query), ``"dense"``
                (embeddings only) or ``"lexical"`` (BM25 only).
            filters: keep only documents of these types, years, sources or categories.
            fusion: hybrid weights (default: the measured ones).

        Raises:
            QueryError: the query is empty, ``top_k`` is not positive, or the mode is unknown
                or needs a lexical index this index does not have.
        """
        return self._retrieve(query, top_k, highlight, mode, filters, fusion)[0]

    def _retrieve(
        self,
        query: str,
        top_k: int,
        highlight: bool,
        mode: Mode = "hybrid",
        filters: Filters | None = None,
        fusion: FusionWeights | None = None,
    ) -> tuple[SearchResult, np.ndarray]:
        """Validate, detect the language, embed the query once and rank; return hits and query vector."""
        text = query.strip()
        if not any(ch.isalnum() for ch in text):
            raise QueryError("Empty query: type a question or some keywords. (Pertanyaan kosong: ketik pertanyaan.)")
        if top_k < 1:
            raise QueryError(f"top_k must be at least 1, got {top_k}")
        if mode not in MODES:
            raise QueryError(f"Unknown search mode {mode!r}: use one of {', '.join(MODES)}")
        mode = self._usable_mode(mode)
        language = detect_language(text)
        text, truncated = self._fit(text)
        query_vec = self.embedder.embed_queries([text])[0]
        allowed = self._allowed(filters) if filters is not None and filters.active else None
        lexical = lexical_query(query, language)
        ranked = rank(
            self._reader,
            query_vec,
            lexical,
            language=language,
            mode=mode,
            k=top_k,
            weights=fusion or DEFAULT_FUSION,
            allowed=allowed,
            named=self._named(lexical.references) if mode == "hybrid" else None,
        )
        hits = make_hits(
            self._reader, self.embedder, query_vec, ranked, highlight=highlight, cache=self._sentence_vectors
        )
        result = SearchResult(query=query, language=language, hits=tuple(hits), truncated=truncated, mode=mode)
        return result, query_vec

    def _usable_mode(self, mode: Mode) -> Mode:
        """Fall back from hybrid to dense on an index built before the lexical index existed."""
        if self._reader.has_lexical or mode == "dense":
            return mode
        hint = f"Add it without re-embedding: egov-qa ingest CORPUS --index {self.path}"
        if mode == "lexical":
            raise QueryError(f"The index at {self.path} has no lexical index (built by an older egov-qa). {hint}")
        if not self._warned_lexical:
            logger.warning("The index at %s has no lexical index; searching with embeddings only. %s", self.path, hint)
            self._warned_lexical = True
        return "dense"

    def _document_facets(self) -> dict[str, Facets]:
        if self._facets is None:
            self._facets = {
                doc_id: document_facets(title, meta, head) for doc_id, title, meta, head in self._reader.document_rows()
            }
        return self._facets

    def _chunks_of(self, docs: set[str]) -> set[int]:
        if self._chunk_docs is None:
            self._chunk_docs = self._reader.chunk_documents()
        return {c for c, d in self._chunk_docs.items() if d in docs}

    def _named(self, references: tuple[str, ...]) -> set[int]:
        """Return the chunks of the documents that are the regulations ``references`` name."""
        if not references:
            return set()
        return self._chunks_of({d for d, f in self._document_facets().items() if f.reference in references})

    def _allowed(self, filters: Filters) -> set[int]:
        """Return the ids of the chunks whose document passes ``filters``."""
        return self._chunks_of({d for d, f in self._document_facets().items() if filters.accepts(f)})

    def facets(self) -> dict[str, Any]:
        """Return what the index can be filtered by: document types, year range, sources, categories."""
        all_facets = list(self._document_facets().values())
        years = [f.year for f in all_facets if f.year is not None]
        return {
            "doc_types": sorted({f.doc_type for f in all_facets if f.doc_type}),
            "years": (min(years), max(years)) if years else None,
            "sources": sorted({f.source for f in all_facets if f.source}),
            "categories": sorted({f.category for f in all_facets if f.category}),
        }

    def ask(
        self,
        question: str,
        *,
        top_k: int = 5,
        threshold: float | None = None,
        weights: EvidenceWeights | None = None,
        mode: Mode = "hybrid",
        filters: Filters | None = None,
    ) -> Answer:
        """Answer ``question`` with the sentences that answer it, their sources and a confidence.

        Args:
            question: in Indonesian or English.
            top_k: how many passages to draw evidence from.
            threshold: confidence below which the answer is "not found" (default: calibrated
                for the model; models without a calibration always answer).
            weights: how sentences are scored (default: the measured best).
            mode: how passages are retrieved (see :meth:`search`).
            filters: keep only documents of these types, years, sources or categories.

        Raises:
            QueryError: see :meth:`search`.
        """
        result, query_vec = self._retrieve(question, top_k, False, mode, filters)
        scored = score_units(self.embedder, query_vec, result.hits, self._sentence_vectors, weights or DEFAULT_WEIGHTS)
        limit = threshold if threshold is not None else threshold_for(self.embedder.name, result.language)
        return build_answer(question, result.language, result.hits, scored, limit)

    def _fit(self, text: str) -> tuple[str, bool]:
        """Cut a query to the model's sequence limit, keeping whole words."""
        limit = self.embedder.max_tokens - _QUERY_RESERVE
        (original,) = self.embedder.count_tokens([text])
        if original <= limit:
            return text, False
        words, n = text.split(), original
        while n > limit and len(words) > 1:
            words = words[: max(1, int(len(words) * limit / n) - 1)]
            (n,) = self.embedder.count_tokens([" ".join(words)])
        logger.warning("Query of %d tokens cut to the model's limit of %d tokens", original, limit)
        return " ".join(words), True

    def document(self, doc_id: str) -> Document | None:
        """Return a stored document (cleaned text, title, metadata) by id, or None."""
        return self._reader.document(doc_id)

    def document_ids(self) -> list[str]:
        """Return the ids of every indexed document."""
        return self._reader.document_ids()

    def close(self) -> None:
        """Release the index files."""
        self._reader.close()


def load_index(
    index_dir: str | Path,
    *,
    model: str | None = None,
    settings: Settings | None = None,
    embedder: Embedder | None = None,
) -> Index:
    """Open the index at ``index_dir`` with the model it was built with (or ``embedder``, if given).

    Raises:
        IndexNotFoundError: no index there.
        IndexMismatchError: ``model`` (or the model found) differs from the one it was built with.
        IndexCorruptError: the index files are damaged.
    """
    settings = settings or Settings.from_env()
    index_dir = Path(index_dir)
    manifest = read_manifest(index_dir)
    built = manifest["model"]
    if embedder is None:
        embedder = get_embedder(model or settings.model or built["name"], models_dir=settings.models_dir)
    _check_model(index_dir, built, embedder)
    return Index(IndexReader(index_dir), embedder)
