"""The Python API over a built index: load_index, Index.search and Index.ask (build_index is in ingest.py)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from egov_qa.answer import build_answer, cited_answer, term_groups, threshold_for
from egov_qa.answer_model import reads
from egov_qa.chunking import page_of
from egov_qa.config import Settings
from egov_qa.embedding import Embedder, load_embedder
from egov_qa.errors import QueryError
from egov_qa.evidence import Scoring, SentenceVectors, evidence_units, score_units, unit_cosines, with_highlights
from egov_qa.evidence_vectors import UnitVectors
from egov_qa.filters import Facets, Filters, IndexFacets, document_facets
from egov_qa.fusion import FusionCandidates, fusion_rows
from egov_qa.language import detect_language
from egov_qa.manifest import Manifest
from egov_qa.modelprep import DEFAULT_MODEL
from egov_qa.reading import Reader, Reading, load_reader
from egov_qa.records import Answer, Article, Document, Hit, SearchResult
from egov_qa.regulation import Regulation, parse_regulation
from egov_qa.regulation.chunks import unit_text
from egov_qa.regulation.cite import CitationQuery, citation_query
from egov_qa.search import (
    MODES,
    NO_LEXICAL,
    FusionWeights,
    Mode,
    hybrid_signals,
    lexical_query,
    lookup,
    make_hits,
    put_first,
    rank,
)
from egov_qa.store import IndexReader

__all__ = ["Index", "load_index"]
logger = logging.getLogger(__name__)
_QUERY_RESERVE = 16
_PARSED_KEPT = 16  # regulations kept parsed for Index.article
MAX_TOP_K = 100  # every hit's sentences are scored: the cap keeps one request's work bounded


class Index:
    """A loaded index and its embedding model, ready to search. Read-only and thread-safe to share."""

    def __init__(self, reader: IndexReader, embedder: Embedder, *, models_dir: Path | None = None) -> None:
        """Wrap an opened reader and the embedder it was built with (use :func:`load_index`).

        ``models_dir`` is where the answer reader's model is cached (default: the settings').
        """
        self._reader = reader
        self.embedder = embedder
        self._models_dir = models_dir
        self._sentence_vectors = SentenceVectors()
        self._facets: dict[str, Facets] | None = None
        self._chunk_docs: dict[int, str] | None = None
        self._warned_lexical = False
        self._parsed: dict[str, Regulation | None] = {}
        self._parsed_lock = threading.Lock()

    @property
    def manifest(self) -> Manifest:
        """The index's manifest: model, chunking, counts, versions, last ingest."""
        return self._reader.manifest

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
        query_vector: np.ndarray | None = None,
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
            fusion: rank hybrid results by the fixed vote used before the learned fusion, with these
                weights (default: the learned fusion, see :mod:`egov_qa.fusion`).
            query_vector: the query already embedded with ``self.embedder.embed_queries`` (for
                evaluations that embed a batch of queries at once); default: embedded here.

        Raises:
            QueryError: the query is empty, ``top_k`` is not positive, or the mode is unknown
                or needs a lexical index this index does not have.
        """
        result, query_vec, _ = self._retrieve(query, top_k, mode, filters, fusion, query_vector)
        if not highlight:
            return result
        scoring = self._score(query, result, query_vec)
        return replace(result, hits=tuple(with_highlights(result.hits, scoring.units)))

    def fusion_candidates(self, query: str, *, query_vector: np.ndarray | None = None) -> FusionCandidates:
        """Return what the learned fusion ranks for ``query``: every hybrid candidate with its features.

        For training and inspecting the ranking (``benchmarks/train_fusion.py``): the rows are
        those :func:`egov_qa.search.rank` scores, in the order of ``chunk_ids``.
        """
        _, language, _, query_vec = self._embedded(_checked(query), query_vector)
        lexical = lexical_query(query, language) if self._reader.has_lexical else NO_LEXICAL
        signals = hybrid_signals(self._reader, query_vec, lexical, named=self._named(lexical.references))
        docs = tuple(self._chunk_documents()[i] for i in signals.ids)
        return FusionCandidates(language, tuple(signals.ids), docs, fusion_rows(signals, query_vec))

    def _embedded(self, text: str, query_vector: np.ndarray | None) -> tuple[str, str, bool, np.ndarray]:
        """Return a query cut to the model's limit, its language, whether it was cut, and its vector.

        The vector is ``query_vector`` when given, else the cut query embedded.
        """
        language = detect_language(text)
        text, truncated = self._fit(text)
        query_vec = self.embedder.embed_queries([text])[0] if query_vector is None else query_vector
        return text, language, truncated, query_vec

    def _retrieve(
        self,
        query: str,
        top_k: int,
        mode: Mode,
        filters: Filters | None,
        fusion: FusionWeights | None,
        query_vector: np.ndarray | None = None,
    ) -> tuple[SearchResult, np.ndarray, CitationQuery | None]:
        """Validate, detect the language, embed the query once and rank.

        Returns:
            The hits, the query vector, and the citation the query named when that very unit
            (its ayat or huruf too) was found and put first.
        """
        text = _checked(query)
        if isinstance(top_k, bool) or not isinstance(top_k, int) or not 1 <= top_k <= MAX_TOP_K:
            raise QueryError(f"top_k must be between 1 and {MAX_TOP_K}, got {top_k}")
        if mode not in MODES:
            raise QueryError(f"Unknown search mode {mode!r}: use one of {', '.join(MODES)}")
        mode = self._usable_mode(mode)
        text, language, truncated, query_vec = self._embedded(text, query_vector)
        allowed = self._allowed(filters) if filters is not None and filters.active else None
        lexical = lexical_query(query, language) if mode != "dense" else NO_LEXICAL  # no analysis for dense
        ranked = rank(
            self._reader,
            query_vec,
            lexical,
            language=language,
            mode=mode,
            k=top_k,
            weights=fusion,
            allowed=allowed,
            named=self._named(lexical.references) if mode == "hybrid" else None,
        )
        cited = citation_query(text)
        found = lookup(self._reader, cited, allowed) if cited is not None else None
        if found is not None:
            ranked = put_first(ranked, found[0], top_k)
        hits = make_hits(self._reader, ranked)
        result = SearchResult(query=query, language=language, hits=tuple(hits), truncated=truncated, mode=mode)
        return result, query_vec, cited if found is not None and found[1] else None

    def _usable_mode(self, mode: Mode) -> Mode:
        """Fall back from hybrid to dense on an index built before the lexical index existed."""
        if self._reader.has_lexical or mode == "dense":
            return mode
        hint = f"Add it: egov-qa ingest CORPUS --index {self.path} (only what changed is embedded again)"
        if mode == "lexical":
            raise QueryError(f"The index at {self.path} has no lexical index (built by an older egov-qa). {hint}")
        if not self._warned_lexical:
            logger.warning("The index at %s has no lexical index; searching with embeddings only. %s", self.path, hint)
            self._warned_lexical = True
        return "dense"

    def _document_facets(self) -> dict[str, Facets]:
        if self._facets is None:
            infos = self._reader.regulation_infos()
            facets = {}
            for doc_id, title, meta, head in self._reader.document_rows():
                found = document_facets(title, meta, head)
                info = infos.get(doc_id)
                if info is not None:  # the parser read the regulation's own number through OCR noise
                    found = replace(found, reference=info.reference, repealed=info.repealed,
                                    doc_type=found.doc_type or info.reference.split("_", 1)[0].upper())  # fmt: skip
                facets[doc_id] = found
            self._facets = facets
        return self._facets

    def _chunk_documents(self) -> dict[int, str]:
        """Return {chunk id: doc_id} of this generation, read once."""
        if self._chunk_docs is None:
            self._chunk_docs = self._reader.chunk_documents()
        return self._chunk_docs

    def _chunks_of(self, docs: set[str]) -> set[int]:
        return {c for c, d in self._chunk_documents().items() if d in docs}

    def _named(self, references: tuple[str, ...]) -> set[int]:
        """Return the chunks of the documents that are the regulations ``references`` name."""
        if not references:
            return set()
        return self._chunks_of({d for d, f in self._document_facets().items() if f.reference in references})

    def _allowed(self, filters: Filters) -> set[int]:
        """Return the ids of the chunks whose document passes ``filters``."""
        return self._chunks_of({d for d, f in self._document_facets().items() if filters.accepts(f)})

    def facets(self) -> IndexFacets:
        """Return what the index can be filtered by: document types, year range, sources, categories."""
        return IndexFacets.of(self._document_facets().values())

    def ask(
        self,
        question: str,
        *,
        top_k: int = 5,
        threshold: float | None = None,
        mode: Mode = "hybrid",
        filters: Filters | None = None,
    ) -> Answer:
        """Answer ``question`` with the sentences that answer it, their sources and a confidence.

        Args:
            question: in Indonesian or English.
            top_k: how many passages to draw evidence from.
            threshold: the probability (0-1) below which the answer is "not found" (default:
                the operating point measured for the default model; other models always answer).
            mode: how passages are retrieved (see :meth:`search`).
            filters: keep only documents of these types, years, sources or categories.

        Raises:
            QueryError: see :meth:`search`, or ``threshold`` is not between 0 and 1.
        """
        if threshold is not None and not 0.0 <= threshold <= 1.0:
            raise QueryError(f"threshold is a probability between 0 and 1, got {threshold}")
        result, query_vec, cited = self._retrieve(question, top_k, mode, filters, None)
        if cited is not None:
            return cited_answer(question, result.language, result.hits, cited)
        reader = self._answer_reader() if reads(question, result.language) else None
        scoring = self._score(question, result, query_vec, reader)
        hits = with_highlights(result.hits, scoring.units)
        limit = threshold if threshold is not None else threshold_for(self.embedder.name, read=scoring.read)
        return build_answer(question, result.language, hits, scoring, limit)

    @property
    def answer_threshold(self) -> float:
        """The probability under which ``ask`` says "not found" by default, for this index's model.

        For a question the answer reader reads; one it does not read (English, how, why) has its own.
        """
        return threshold_for(self.embedder.name)

    def _score(
        self, question: str, result: SearchResult, query_vec: np.ndarray, reader: Reader | None = None
    ) -> Scoring:
        """Score the evidence units of a result's hits with the learned sentence scorer (and the ``reader``)."""
        return score_units(
            self.embedder, query_vec, result.hits, self._sentence_vectors, question=question,
            groups=term_groups(question, result.language), language=result.language,
            dense=self.dense_scores(result.hits, query_vec),
            stored=self._kept_units(result.hits, result.language), reader=reader,
        )  # fmt: skip

    def _answer_reader(self) -> Reader | None:
        """Return the answer reader: for the default model only (the answer model was fitted on its scores)."""
        if self.embedder.name != DEFAULT_MODEL:
            return None
        return load_reader(self._models_dir or Settings.from_env().models_dir)

    def read(self, question: str, hits: Sequence[Hit]) -> list[Reading] | None:
        """Return what the answer reader makes of each hit's evidence units (see :mod:`egov_qa.reading`).

        ``None`` when the index's model has no reader (any model but the default one).
        """
        reader = self._answer_reader()
        if reader is None:
            return None
        units = [evidence_units(h.text, h.sentences) for h in hits]
        return reader.read(_checked(question), [h.text for h in hits], units)

    def unit_cosines(
        self, hits: Sequence[Hit], query_vec: np.ndarray, language: str
    ) -> tuple[list[list[tuple[int, int]]], list[np.ndarray], list[np.ndarray]]:
        """Return each hit's evidence units, with the cosines of each unit and of it with its neighbours.

        What the answer's sentence scorer reads for a question in ``language``: the unit vectors
        kept at ingest where the index has them, else (and for English) embedded now and cached.
        """
        stored = self._kept_units(hits, language)
        return unit_cosines(self.embedder, query_vec, hits, self._sentence_vectors, stored)

    def _kept_units(self, hits: Sequence[Hit], language: str) -> dict[int, UnitVectors]:
        # pooled from Indonesian passages' token states, a unit's vector matches Indonesian questions as
        # well as the unit embedded alone, English ones much worse (NusaX valid: the translation found
        # first for 0.73 of them against 0.83): an English question has its units embedded
        if language == "en":
            return {}
        return self._reader.unit_vectors_of([h.chunk_id for h in hits])

    def dense_scores(self, hits: Sequence[Hit], query_vec: np.ndarray) -> list[float]:
        """Return each hit's embedding cosine with the query, whatever mode retrieved it."""
        missing = [h.chunk_id for h in hits if h.dense_score is None]
        found = dict(zip(missing, map(float, self._reader.vectors_of(missing) @ query_vec), strict=True))
        return [h.dense_score if h.dense_score is not None else found[h.chunk_id] for h in hits]

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

    def article(self, doc_id: str, pasal: str) -> Article | None:
        """Return Pasal ``pasal`` of the regulation ``doc_id`` whole, with its Penjelasan; None if there is none."""
        doc = self._reader.document(doc_id)
        reg = self._regulation(doc) if doc is not None else None
        unit = reg.article(pasal) if reg is not None else None
        if doc is None or reg is None or unit is None:
            return None
        numbers = [u.pasal for u in reg.articles]
        at = numbers.index(pasal)
        explained = reg.article(pasal, "penjelasan")
        return Article(
            doc_id=doc_id,
            title=doc.title,
            pasal=pasal,
            context=" · ".join(p for p in (unit.bab, unit.bagian, unit.paragraf) if p),
            text=unit_text(doc.text, unit),
            explanation=unit_text(doc.text, explained) if explained is not None else None,
            page=page_of(doc, unit.start, unit.end)[0],
            previous=numbers[at - 1] if at > 0 else None,
            following=numbers[at + 1] if at + 1 < len(numbers) else None,
            regulation=self._reader.regulation_infos().get(doc_id),
        )

    def _regulation(self, doc: Document) -> Regulation | None:
        """Parse a stored regulation once: a reader paging through its Pasal asks for it again and again."""
        with self._parsed_lock:  # the app's sessions share one Index
            if doc.doc_id in self._parsed:
                return self._parsed[doc.doc_id]
        parsed = parse_regulation(doc.text)  # outside the lock: one long document stalls no other session
        with self._parsed_lock:
            if len(self._parsed) >= _PARSED_KEPT:
                self._parsed.pop(next(iter(self._parsed)), None)
            self._parsed[doc.doc_id] = parsed
        return parsed

    def document(self, doc_id: str) -> Document | None:
        """Return a stored document (cleaned text, title, metadata) by id, or None."""
        return self._reader.document(doc_id)

    def document_titles(self) -> dict[str, str]:
        """Return {doc_id: title} of every indexed document."""
        return {doc_id: title for doc_id, title, _, _ in self._reader.document_rows()}

    def document_ids(self) -> list[str]:
        """Return the ids of every indexed document."""
        return self._reader.document_ids()

    def close(self) -> None:
        """Release the index files."""
        self._reader.close()


def _checked(query: str) -> str:
    """Return the query stripped; raise QueryError when it holds nothing to search for."""
    text = query.strip()
    if not any(ch.isalnum() for ch in text):
        raise QueryError("Empty query: type a question or some keywords. (Pertanyaan kosong: ketik pertanyaan.)")
    return text


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
    manifest = Manifest.read(index_dir)
    if embedder is None:
        name = model or settings.model or manifest.model.name
        engine = settings.backend or manifest.model.engine_for(name)
        embedder = load_embedder(name, backend=engine, settings=settings)
    manifest.check_model(embedder, index_dir)
    return Index(IndexReader(index_dir), embedder, models_dir=settings.models_dir)
