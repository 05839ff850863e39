"""Publishing an index generation to another folder, for read-only replicas to serve.

A generation never changes once written, so serving scales by copying it: the publisher copies
the segment files the destination lacks (they are immutable, so a name already there is the
same file), a consistent copy of the SQLite store under the generation's own name, and then the
manifest, renamed into place last. Readers of the destination keep the generation they opened
until they load the index again; the files of earlier generations are deleted by a later
publish once no reader there holds them and they are older than ``keep`` generations.
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
from dataclasses import replace
from pathlib import Path

from egov_qa.errors import EgovQAError, IndexNotFoundError
from egov_qa.manifest import Manifest, fsync_path
from egov_qa.store import IndexReader, held_generations, index_file, write_lock

logger = logging.getLogger(__name__)

_STORE_COPY = "store-{gen}.sqlite"


def publish_index(index_dir: str | Path, dest: str | Path, *, keep: int = 1) -> Manifest:
    """Copy the current generation of ``index_dir`` to ``dest`` and swap it in there.

    Ingests into ``index_dir`` may go on meanwhile: the copy is of the generation current when
    the publish began, which it holds until it is done.

    Args:
        index_dir: the index an ingest writes.
        dest: the folder replicas read (created if missing); ingests refuse to write to it.
        keep: how many earlier generations' files to keep in ``dest`` for readers that hold
            no lock there (e.g. another machine reading a shared folder), beyond those held.

    Returns:
        The manifest now in ``dest``.

    Raises:
        IndexNotFoundError: no index at ``index_dir``.
        EgovQAError: ``dest`` is the index itself, holds another index, or a newer generation,
            or another publish to it is running.
    """
    index_dir, dest = Path(index_dir), Path(dest)
    if dest.resolve() == index_dir.resolve():
        raise EgovQAError(f"{dest} is the index itself; publish to another folder.")
    source = IndexReader(index_dir, load_vectors=False)  # holds its generation until the copy is done
    try:
        with write_lock(dest):  # one publisher at a time
            return _publish(source, dest, keep)
    finally:
        source.close()


def _publish(source: IndexReader, dest: Path, keep: int) -> Manifest:
    m = source.manifest
    previous = _current(dest)
    if previous is not None:
        if previous.index_id != m.index_id:
            raise EgovQAError(
                f"{dest} holds a copy of another index (or of this one before it was rebuilt from nothing). "
                f"Publish to an empty folder, or empty {dest} first."
            )
        if previous.generation > m.generation:
            raise EgovQAError(f"{dest} holds generation {previous.generation}, newer than {m.generation}.")
        if previous.generation == m.generation:
            return previous  # published already: nothing to copy
    for segment in m.segments:  # immutable, and named uniquely within one index: copied once
        if not (dest / segment.file).is_file():
            _copy_file(source.index_dir / segment.file, dest / segment.file)
    store = _STORE_COPY.format(gen=m.generation)
    _copy_store(source.index_dir / m.store_file, dest / store)
    published = replace(m, store_file=store, retired=(), published_from=str(source.index_dir.resolve()))
    if previous is not None:
        # (file, first generation without it): a reader of an earlier generation may still need it
        retired = [*previous.retired, *((f, m.generation) for f in sorted(previous.files - published.files))]
        retired = [(f, g) for f, g in retired if f not in published.files]
        recent = sorted({g for _, g in retired}, reverse=True)[:keep]
        held = held_generations(dest)
        published = replace(
            published,
            retired=tuple(dict.fromkeys((f, g) for f, g in retired if g in recent or any(h < g for h in held))),
        )
    fsync_path(dest)  # the copies' names are on disk before the manifest names them
    published.write(dest)
    _sweep(dest, published.files | {f for f, _ in published.retired})
    return published


def _current(dest: Path) -> Manifest | None:
    try:
        return Manifest.read(dest)
    except IndexNotFoundError:
        return None
    except EgovQAError as exc:  # a damaged copy: its files are swept after the next swap
        logger.warning("The published copy in %s is unreadable (%s); publishing afresh", dest, exc)
        return None


def _sweep(dest: Path, keep: set[str]) -> None:
    """Delete index files in ``dest`` that no manifest names (retired ones, those of a crashed publish)."""
    for path in dest.iterdir():
        owner = index_file(path.name)
        if owner is not None and (owner not in keep or path.name != owner):  # a copy has no side files to keep
            path.unlink(missing_ok=True)


def _copy_file(source: Path, target: Path) -> None:
    tmp = target.with_name(target.name + ".tmp")
    shutil.copyfile(source, tmp)
    fsync_path(tmp)
    os.replace(tmp, target)


def _copy_store(source: Path, target: Path) -> None:
    """Copy the SQLite store consistently (its WAL included), as a file that needs no -wal or -shm to read."""
    tmp = target.with_name(target.name + ".tmp")
    tmp.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        out = sqlite3.connect(tmp)
        try:
            src.backup(out)
            out.execute("PRAGMA journal_mode = DELETE")  # a replica may read it from a read-only folder
        finally:
            out.close()
    finally:
        src.close()
    fsync_path(tmp)
    os.replace(tmp, target)
