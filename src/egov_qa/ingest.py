"""Building and updating an index: read, chunk, embed only what changed, swap the new generation in."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from egov_qa.chunking import ChunkParams
from egov_qa.cluster import ClusterOptions, ModelSpec, RayCluster
from egov_qa.config import BACKEND_ST, BACKENDS, DEFAULT_MODEL, Settings
from egov_qa.corpus import CorpusRead, read_corpus
from egov_qa.embedding import FAKE_MODEL, Embedder, embed_pooled, load_embedder
from egov_qa.errors import ConfigError, EgovQAError, IndexCorruptError, IndexMismatchError, IndexNotFoundError
from egov_qa.evidence import chunk_units
from egov_qa.evidence_vectors import UnitVectors
from egov_qa.manifest import LastIngest, Manifest, ModelInfo
from egov_qa.records import Chunk, Document, IngestReport, Skipped
from egov_qa.regulation.chunks import chunk_with_structure
from egov_qa.store import IndexReader, embed_input, open_writer, write_lock
from egov_qa.version import __version__

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
# prompt, special tokens and a typical section heading embedded with every chunk
_PASSAGE_RESERVE = 48
_MIN_CHUNK_TOKENS = 32


def _embed_input(doc: Document, chunk: Chunk) -> str:
    """Return the text a chunk is embedded as: title and heading give the passage its context."""
    return embed_input(doc.title, chunk.heading, chunk.text)


def _open_base(index_dir: Path, full: bool) -> IndexReader | None:
    """Open the current generation; a full rebuild also starts over from a damaged or older index."""
    try:
        return IndexReader(index_dir, load_vectors=False)  # an append needs rows, seldom vectors
    except IndexNotFoundError:
        return None
    except (IndexCorruptError, IndexMismatchError):
        if full:
            logger.warning("The index at %s is unreadable; --full rebuilds it from scratch.", index_dir)
            return None
        raise


def _model_named_in(index_dir: Path) -> str | None:
    """Return the model a damaged index's manifest names, if it can still be read: a repair keeps it."""
    try:
        return Manifest.read(index_dir).model.name
    except EgovQAError:
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
    cluster: ClusterOptions | None = None,
) -> IngestReport:
    """Build or update the index at ``index_dir`` from documents or a corpus folder.

    Only new and changed documents (by ``doc_id`` and content hash) are embedded; documents
    absent from ``docs`` are removed, except those whose file was skipped as unreadable.
    The previous index stays readable until the new one is swapped in.

    Args:
        docs: Documents, or the path of a corpus folder.
        index_dir: where the index lives.
        model: the embedding model; default: the index's own, else the settings' or the default.
        full: re-embed everything, e.g. to change model; also rebuilds an index whose files are
            damaged (with the model its manifest names, when it can still be read).
        params: chunking parameters (default ``ChunkParams()``; a change needs ``full``).
        settings: where models are cached (default ``Settings.from_env()``).
        progress: called with (chunks embedded, chunks to embed).
        embedder: an already loaded embedder to use instead of loading ``model``.
        cluster: read, cut and embed on a Ray cluster (the optional extra ``egov-qa[cluster]``);
            the index is written here as always. Its workers load the model by name from
            their machine's models folder (the settings' ``models_dir``), so an embedder
            registered in this process only cannot run there.

    Returns:
        What was added, updated, removed, kept unchanged and skipped.
    """
    started = time.perf_counter()
    settings = settings or Settings.from_env()
    index_dir = Path(index_dir)
    params = params or ChunkParams()
    with write_lock(index_dir):
        base = _open_base(index_dir, full)
        try:
            if base is not None and base.manifest.published_from:
                raise EgovQAError(
                    f"The index at {index_dir} is a published copy of {base.manifest.published_from}; ingest into "
                    f"that one and publish it again: egov-qa publish {index_dir} --index {base.manifest.published_from}"
                )
            built_model = base.manifest.model.name if base else _model_named_in(index_dir)
            if embedder is None:
                # an incremental ingest keeps the engine the index was embedded with; --full takes the default
                name = model or built_model or settings.model or DEFAULT_MODEL
                engine = settings.backend or (base.manifest.model.engine_for(name) if base and not full else None)
                embedder = load_embedder(name, backend=engine, settings=settings)
            recut = False
            if base and not full:
                base.manifest.check_model(embedder, index_dir)
                recut = base.manifest.check_chunking(params.as_dict(), index_dir)
            current = base.manifest if base is not None else None
            if cluster is None:
                job = _Job(embedder, params, progress, started, recut)
                return _ingest(index_dir, None if full else base, current, _collect(docs), job)
            backend = getattr(embedder, "backend", None)
            if backend not in (*BACKENDS, FAKE_MODEL):
                raise ConfigError(
                    f"A Ray ingest loads the model by name on every worker; {embedder.name!r} is an embedder "
                    f"registered or built in this process only. Use the default model, or one on {BACKEND_ST}."
                )
            spec = ModelSpec(embedder.name, backend, str(settings.models_dir))
            with RayCluster(cluster, spec) as ray_cluster:
                read = ray_cluster.read(Path(docs)) if isinstance(docs, str | Path) else _collect(docs)
                job = _Job(embedder, params, progress, started, recut, ray_cluster)
                return _ingest(index_dir, None if full else base, current, read, job)
        finally:
            if base is not None:
                base.close()


def compact_index(index_dir: str | Path) -> Manifest:
    """Merge the index's vector segments into one and drop the rows and vectors of removed chunks.

    Ingests merge small segments as they go; this also rewrites the SQLite file without the
    removed rows and, from :data:`egov_qa.vector_segments.HNSW_MIN` chunks on, builds one HNSW graph
    over everything. Readers keep the generation they opened, as with any ingest.

    Returns:
        The new generation's manifest.
    """
    index_dir = Path(index_dir)
    with write_lock(index_dir):
        base = IndexReader(index_dir, load_vectors=False)
        try:
            m = base.manifest
            with open_writer(index_dir, dimension=m.model.dimension, base=base, compact=True) as writer:
                return writer.commit(m.model, dict(m.chunking), m.last_ingest, __version__)
        finally:
            base.close()


@dataclass(frozen=True, slots=True)
class _Job:
    """How an ingest embeds and reports: the embedder, the chunking, progress, its start, whether to re-cut."""

    embedder: Embedder
    params: ChunkParams
    progress: Progress | None
    started: float
    recut: bool = False
    cluster: RayCluster | None = None


def _embed(
    job: _Job, inputs: list[str], spans: list[list[tuple[int, int]]], base: IndexReader | None, reuse: bool
) -> tuple[np.ndarray, list[UnitVectors | None], int]:
    """Embed the chunk inputs and pool their evidence units (``spans`` in each input) where the engine can.

    With ``reuse``, an input the base already holds keeps its vectors.

    Returns:
        One vector per input, its unit vectors (None: none pooled), and how many were embedded anew.
    """
    known = base.embed_input_ids(inputs) if base is not None and reuse else {}
    missing = [i for i, text in enumerate(inputs) if text not in known]
    total, done = len(missing), 0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        if job.progress is not None:
            job.progress(done, total)

    texts, text_spans = [inputs[i] for i in missing], [spans[i] for i in missing]
    if job.cluster is not None:
        fresh, fresh_units = job.cluster.embed(texts, text_spans, job.embedder.fingerprint(), progress=tick)
    else:
        fresh, fresh_units = embed_pooled(job.embedder, texts, text_spans, progress=tick)
    vectors = np.zeros((len(inputs), job.embedder.dimension), dtype=np.float32)
    units: list[UnitVectors | None] = [None] * len(inputs)
    if missing:
        vectors[missing] = fresh
        for i, u in zip(missing, fresh_units, strict=True):
            units[i] = u
    kept = [i for i in range(len(inputs)) if inputs[i] in known]
    if kept and base is not None:
        ids = [known[inputs[i]] for i in kept]
        vectors[kept] = base.vectors_of(ids)
        stored = base.unit_vectors_of(ids)
        for i, chunk_id in zip(kept, ids, strict=True):
            units[i] = stored.get(chunk_id)
    return vectors, units, total


def _unit_spans(embedded: str, chunk: Chunk) -> list[tuple[int, int]]:
    """Return the chunk's evidence units as spans of the text it is embedded as (its text comes last)."""
    shift = len(embedded) - len(chunk.text)
    return [(s + shift, e + shift) for s, e in chunk_units(chunk.text, chunk.sentences)]


def _ingest(
    index_dir: Path, base: IndexReader | None, current: Manifest | None, read: CorpusRead, job: _Job
) -> IngestReport:
    embedder, params = job.embedder, job.params
    with open_writer(index_dir, dimension=embedder.dimension, base=base, current=current) as writer:
        old = writer.hashes()
        new = {d.doc_id: d for d in read.documents}
        keep = _protected(old.keys() - new.keys(), read.skipped)
        removed = sorted(old.keys() - new.keys() - keep)
        added = sorted(new.keys() - old.keys())
        # a new splitter cuts every document again; its chunks that read the same keep their vectors
        updated = sorted(d for d in new.keys() & old.keys() if job.recut or new[d].content_hash != old[d])
        unchanged = sorted((new.keys() & old.keys()) - set(updated)) + sorted(keep)
        writer.remove(removed + updated)
        todo = [new[d] for d in added + updated]
        fitted = [(doc, _fit_params(embedder, doc, params)) for doc in todo]
        if job.cluster is not None:
            parsed = job.cluster.cut(fitted)
        else:
            parsed = [chunk_with_structure(doc, embedder.count_tokens, fitted_params) for doc, fitted_params in fitted]
        chunks = [cs for cs, _ in parsed]
        inputs = [_embed_input(doc, c) for doc, cs in zip(todo, chunks, strict=True) for c in cs]
        spans = [_unit_spans(text, c) for text, c in zip(inputs, (c for cs in chunks for c in cs), strict=True)]
        vectors, units, total = _embed(job, inputs, spans, base, job.recut)
        pos = 0
        for doc, (cs, regulation) in zip(todo, parsed, strict=True):
            writer.add(doc, cs, vectors[pos : pos + len(cs)], regulation, units[pos : pos + len(cs)])
            pos += len(cs)
        notes = list(read.notes) + [Skipped(d, "file skipped this time; previous version kept") for d in sorted(keep)]
        if job.recut:
            notes.append(_recut_note(index_dir, params, len(updated), total, len(inputs) - total))
        counts = writer.counts()
        report = IngestReport(
            added=tuple(added),
            updated=tuple(updated),
            removed=tuple(removed),
            unchanged=tuple(unchanged),
            skipped=tuple(read.skipped),
            notes=tuple(notes),
            chunks_embedded=total,
            total_documents=counts["documents"],
            total_chunks=counts["chunks"],
            seconds=time.perf_counter() - job.started,
        )
        last = LastIngest(
            added=len(added), updated=len(updated), removed=len(removed), unchanged=len(unchanged),
            chunks_embedded=total, skipped=report.skipped, notes=report.notes,
        )  # fmt: skip
        chunking: dict[str, Any] = dict(params.as_dict())
        if job.recut and keep and current is not None:  # a kept document still has the old cut: cut it next time
            chunking["splitter_version"] = current.chunking.get("splitter_version")
        writer.commit(ModelInfo.of(embedder), chunking, last, __version__)
    return report


def _recut_note(index_dir: Path, params: ChunkParams, documents: int, embedded: int, kept: int) -> Skipped:
    """Say what cutting every document again cost: how many chunks were embedded anew, how many kept."""
    version = params.as_dict()["splitter_version"]
    return Skipped(str(index_dir), (
        f"egov-qa cuts documents differently now (splitter version {version}): {documents} document(s) cut "
        f"again, {embedded} chunk(s) embedded anew, {kept} kept their vectors"
    ))  # fmt: skip


def _fit_params(embedder: Embedder, doc: Document, params: ChunkParams) -> ChunkParams:
    """Shrink the chunk budget when title, heading and prompt would overflow the model's limit."""
    title = embedder.count_tokens([doc.title])[0] if doc.title else 0
    room = embedder.max_tokens - _PASSAGE_RESERVE - title
    return params if params.max_tokens <= room else replace(params, max_tokens=max(_MIN_CHUNK_TOKENS, room))
