"""Building and updating an index: read, chunk, embed only what changed, swap the new generation in."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from egov_qa import __version__
from egov_qa.chunking import ChunkParams, chunk_document
from egov_qa.config import DEFAULT_MODEL, Settings
from egov_qa.corpus import CorpusRead, read_corpus
from egov_qa.embedding import Embedder, get_embedder
from egov_qa.errors import IndexMismatchError, IndexNotFoundError
from egov_qa.records import Chunk, Document, IngestReport, Skipped
from egov_qa.store import IndexReader, open_writer

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
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


def check_model(index_dir: Path, built: dict[str, Any], embedder: Embedder) -> None:
    """Raise IndexMismatchError when ``embedder`` is not the model an index was built with."""
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
            check_model(index_dir, base.manifest["model"], embedder)
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
