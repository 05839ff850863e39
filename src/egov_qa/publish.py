"""Publishing an index generation to another folder, for read-only replicas to serve.

A generation never changes once written, so serving scales by copying it: the publisher copies
the segment files the destination lacks (they are immutable, so a name already there is the
same file), a consistent copy of the SQLite store under the generation's own name, and then the
manifest, renamed into place last. Readers of the destination keep the generation they opened
until they load the index again; the files of earlier generations are deleted by a later
publish once no reader there holds them and they are older than ``keep`` generations.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from dataclasses import replace
from pathlib import Path

from egov_qa.errors import EgovQAError
from egov_qa.manifest import Manifest, fsync_path
from egov_qa.store import IndexReader, held_generations, write_lock

_STORE_COPY = "store-{gen}.sqlite"


def publish_index(index_dir: str | Path, dest: str | Path, *, keep: int = 1) -> Manifest:
    """Copy the current generation of ``index_dir`` to ``dest`` and swap it in there.

    Args:
        index_dir: the index an ingest writes.
        dest: the folder replicas read (created if missing); it must not be an index that
            ingests write to.
        keep: how many earlier generations' files to keep in ``dest`` for readers that hold
            no lock there (e.g. another machine reading a shared folder), beyond those held.

    Returns:
        The manifest now in ``dest``.

    Raises:
        EgovQAError: no index at ``index_dir``, or another ingest or publish is running.
    """
    index_dir, dest = Path(index_dir), Path(dest)
    with write_lock(index_dir):  # no ingest changes the source while it is copied
        source = IndexReader(index_dir, load_vectors=False)
        try:
            with write_lock(dest):  # one publisher at a time
                return _publish(source, dest, keep)
        finally:
            source.close()


def _publish(source: IndexReader, dest: Path, keep: int) -> Manifest:
    m = source.manifest
    for leftover in dest.glob("*.tmp"):  # of a publish that crashed
        leftover.unlink()
    try:
        previous: Manifest | None = Manifest.read(dest)
    except EgovQAError:  # nothing readable there yet: everything is copied
        previous = None
    for segment in m.segments:
        target = dest / segment.file
        if not target.is_file() or target.stat().st_size != (source.index_dir / segment.file).stat().st_size:
            _copy_file(source.index_dir / segment.file, target)
    store = _STORE_COPY.format(gen=m.generation)
    _copy_store(source.index_dir / m.store_file, dest / store)
    published = replace(m, store_file=store, retired=())
    if previous is not None:
        # (file, first generation without it): a reader of an earlier generation may still need it
        retired = [*previous.retired, *((f, m.generation) for f in sorted(previous.files - published.files))]
        retired = [(f, g) for f, g in retired if f not in published.files]
        recent = sorted({g for _, g in retired}, reverse=True)[:keep]
        held = held_generations(dest)
        kept = [(f, g) for f, g in retired if g in recent or any(h < g for h in held)]
        for name in {f for f, _ in retired} - {f for f, _ in kept}:
            (dest / name).unlink(missing_ok=True)
        published = replace(published, retired=tuple(dict.fromkeys(kept)))
    published.write(dest)
    return published


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
