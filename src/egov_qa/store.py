"""The on-disk index: manifest.json + a FAISS file + one SQLite file, swapped in atomically.

Each build writes a new generation of the FAISS and SQLite files under new names and then
replaces manifest.json (which names them) in one rename; a crash before that rename leaves
the previous generation, still named by the old manifest, untouched.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import sqlite3
import threading
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from egov_qa import vector_segments as segments
from egov_qa.analysis import ANALYZER_VERSION, analyze
from egov_qa.errors import EgovQAError, IndexCorruptError
from egov_qa.evidence_vectors import UNITS_VERSION, UnitVectors
from egov_qa.manifest import LastIngest, Manifest, ModelInfo, Segment, fsync_path, rebuild_hint
from egov_qa.records import Chunk, Document, Location, RegulationInfo
from egov_qa.regulation import Regulation
from egov_qa.regulation.relations import ministry, resolve
from egov_qa.vector_segments import Vectors

LOCK_NAME = ".lock"
_STORE = "store-{gen}.sqlite"
_READER_LOCK = ".reader-{gen}.lock"
_OPEN_ATTEMPTS = 20
_INDEX_FILE = re.compile(r"(?:vectors|store|seg)-(\d+)[-.]")
_SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def index_file(name: str) -> str | None:
    """Return the index file a file of this name belongs to, or None when it is not an index file.

    That is the file itself, the store of a SQLite side file, or the file a temporary copy is of.
    """
    base = name
    for suffix in (".tmp", *_SQLITE_SIDE_FILES):
        base = base.removesuffix(suffix)
    return base if _INDEX_FILE.match(base) else None


_TABLES = ("documents", "chunks", "regulations")
# Every row carries the generation that added it and the one that removed it (NULL: still there);
# a reader of generation G sees the rows added at or before G and not removed by G. Those two
# columns come first: a row's later columns (a long text, the units blob) may spill onto overflow
# pages, which SQLite would read to reach a column stored after them.
_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    row INTEGER PRIMARY KEY, added INTEGER NOT NULL, removed INTEGER, doc_id TEXT NOT NULL,
    title TEXT NOT NULL, text TEXT NOT NULL, metadata TEXT NOT NULL, content_hash TEXT NOT NULL,
    pages TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_doc ON documents(doc_id);
CREATE INDEX IF NOT EXISTS documents_gen ON documents(added, removed);
CREATE INDEX IF NOT EXISTS documents_live ON documents(doc_id, content_hash) WHERE removed IS NULL;
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY AUTOINCREMENT, added INTEGER NOT NULL, removed INTEGER, doc_id TEXT NOT NULL,
    ordinal INTEGER NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL, text TEXT NOT NULL,
    heading TEXT NOT NULL, page INTEGER, sentences TEXT NOT NULL, details TEXT, units BLOB
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE INDEX IF NOT EXISTS chunks_gen ON chunks(added, removed);
CREATE INDEX IF NOT EXISTS chunks_removed ON chunks(removed) WHERE removed IS NOT NULL;
CREATE TABLE IF NOT EXISTS regulations (
    doc_id TEXT NOT NULL, reference TEXT NOT NULL, title TEXT NOT NULL, issuer TEXT NOT NULL,
    amends TEXT NOT NULL, repeals TEXT NOT NULL, partly_repeals TEXT NOT NULL,
    added INTEGER NOT NULL, removed INTEGER
);
CREATE INDEX IF NOT EXISTS regulations_doc ON regulations(doc_id);
CREATE INDEX IF NOT EXISTS regulations_reference ON regulations(reference);
CREATE INDEX IF NOT EXISTS regulations_gen ON regulations(added, removed);
CREATE VIRTUAL TABLE IF NOT EXISTS chunk_terms USING fts5(
    terms, tokenize = "unicode61 remove_diacritics 2 tokenchars '_'"
);
"""
_CHUNK_COLUMNS = "doc_id, ordinal, start, end, text, heading, page, sentences, details, units"


def lexical_text(title: str, heading: str, text: str) -> str:
    """Return the analysed terms a chunk is stored with in the lexical index (title and heading included)."""
    return " ".join(analyze(embed_input(title, heading, text)))


def embed_input(title: str, heading: str, text: str) -> str:
    """Return the text a chunk is embedded as: its document's title and its heading give it context."""
    return "\n".join(part for part in (title, heading, text) if part)


def _details(chunk: Chunk) -> str | None:
    """Return what a chunk stores beyond its text: its location in a regulation and its page breaks."""
    details: dict[str, Any] = {}
    if chunk.location is not None:
        details["location"] = chunk.location.as_json()
    if chunk.page_starts:
        details["page_starts"] = list(chunk.page_starts)
    return json.dumps(details, ensure_ascii=False) if details else None


def _match(terms: Sequence[str]) -> str:
    """Build an FTS5 query matching any of ``terms`` (each quoted, so no term is read as an operator)."""
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in dict.fromkeys(terms))


def _live(generation: int) -> str:
    """Return the SQL condition of the rows generation ``generation`` holds."""
    return f"added <= {int(generation)} AND (removed IS NULL OR removed > {int(generation)})"


def _hold_generation(index_dir: Path) -> tuple[Manifest, BinaryIO | None]:
    """Read the manifest and hold a shared lock on its generation, so no ingest deletes what it reads.

    Returns the manifest and the locked file, whose closing (or garbage collection) lets go
    (None where the folder is read-only, e.g. a published copy that no ingest writes to).
    """
    for _ in range(_OPEN_ATTEMPTS):
        manifest = Manifest.read(index_dir)
        fd = _lock_generation(index_dir, manifest.generation)
        try:
            again = Manifest.read(index_dir).generation
        except EgovQAError:
            again = manifest.generation
        if again == manifest.generation:
            return manifest, fd
        if fd is not None:  # a new generation was swapped in meanwhile: read that one
            fd.close()
    raise EgovQAError(f"The index at {index_dir} changed {_OPEN_ATTEMPTS} times while it was being opened; try again.")


def _lock_generation(index_dir: Path, generation: int) -> BinaryIO | None:
    path = index_dir / _READER_LOCK.format(gen=generation)
    while True:
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CREAT, 0o644)  # a lock needs no write access
        except OSError:
            return None
        fcntl.flock(fd, fcntl.LOCK_SH)
        with contextlib.suppress(FileNotFoundError):
            if os.stat(path).st_ino == os.fstat(fd).st_ino:
                return os.fdopen(fd, "rb", buffering=0)
        os.close(fd)  # an ingest swept the file away between our open and our lock: take the new one


def held_generations(index_dir: Path) -> set[int]:
    """Return the generations some open reader holds; the lock files of the others are deleted."""
    held = set()
    for path in index_dir.glob(_READER_LOCK.format(gen="*")):
        try:
            generation = int(path.name.split("-")[1].split(".")[0])
        except ValueError:
            continue
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            continue
        except OSError:  # cannot tell: count it as held, so nothing it may need is deleted
            held.add(generation)
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            held.add(generation)
        else:
            path.unlink(missing_ok=True)
        finally:
            os.close(fd)
    return held


class IndexReader:
    """A read-only view of one generation of an index: its vectors in memory, SQLite rows on demand.

    It holds its generation (a shared lock) until :meth:`close`, so an ingest keeps the rows and
    files it needs.
    """

    def __init__(self, index_dir: Path, *, load_vectors: bool = True) -> None:
        """Open the generation named by ``index_dir``'s manifest.

        ``load_vectors=False`` reads the vectors on first use (an ingest mostly needs the rows).

        Raises:
            IndexNotFoundError, IndexCorruptError, IndexMismatchError: see :meth:`Manifest.read`.
        """
        self.index_dir = index_dir
        self.manifest, self._lock = _hold_generation(index_dir)
        try:
            self._open(load_vectors)
        except BaseException:
            self.close()
            raise

    def _open(self, load_vectors: bool) -> None:
        db_path = self.index_dir / self.manifest.store_file
        for p in sorted(self.index_dir / f for f in self.manifest.files):
            if not p.is_file():
                raise IndexCorruptError(f"{p} is missing. {rebuild_hint(self.index_dir)}")
        # a folder this process cannot write to (a published copy) is read as immutable: SQLite
        # could not make the files WAL mode reads need, and every commit leaves the WAL checkpointed
        flags = "mode=ro" if os.access(self.index_dir, os.W_OK) else "immutable=1"
        self._db = sqlite3.connect(f"file:{db_path}?{flags}", uri=True, check_same_thread=False)
        self._db_lock = threading.Lock()
        try:
            columns = self._query("SELECT * FROM chunks LIMIT 0")[0]
        except sqlite3.DatabaseError as exc:
            raise IndexCorruptError(f"{db_path} is unreadable ({exc}). {rebuild_hint(self.index_dir)}") from exc
        # an index built before regulations were parsed has neither chunk details nor the regulations table,
        # one built before unit vectors were kept has no units column, and one of format 1 has no generations
        self._has_details, self._has_units = "details" in columns, "units" in columns
        self.generational = "added" in columns
        if self.generational:  # these views shadow the tables: every query below sees this generation only
            for table in _TABLES:
                self._db.execute(
                    f"CREATE TEMP VIEW {table} AS SELECT * FROM main.{table} WHERE {_live(self.manifest.generation)}"
                )
        self._check(db_path)
        self._regulations: dict[str, dict[str, Any]] | None = None
        self._infos: dict[str, RegulationInfo] | None = None
        self._vectors: Vectors | None = None
        self._vectors_lock = threading.Lock()
        if load_vectors:
            self._load_vectors()

    def _check(self, db_path: Path) -> None:
        try:
            (n_chunks,) = self._query("SELECT COUNT(*) FROM chunks")[1][0]
        except sqlite3.DatabaseError as exc:
            raise IndexCorruptError(f"{db_path} is unreadable ({exc}). {rebuild_hint(self.index_dir)}") from exc
        stored = sum(s.live for s in self.manifest.segments)
        if n_chunks != self.manifest.chunks or stored != n_chunks:
            raise IndexCorruptError(
                f"{db_path} has {n_chunks} chunks; the manifest says {self.manifest.chunks}, and its vector "
                f"segments hold {stored}. {rebuild_hint(self.index_dir)}"
            )

    def _load_vectors(self) -> Vectors:
        with self._vectors_lock:
            if self._vectors is None:
                dimension, parts = self.manifest.model.dimension, []
                for segment in self.manifest.segments:
                    index = segments.read(self.index_dir, segment, dimension)
                    parts.append((index, self._live_ids(segment) if segment.dead else None))
                vectors = Vectors(parts, dimension)
                if vectors.ntotal != self.manifest.chunks:
                    raise IndexCorruptError(
                        f"The vector segments of {self.index_dir} hold {vectors.ntotal} live chunks; the manifest "
                        f"says {self.manifest.chunks}. {rebuild_hint(self.index_dir)}"
                    )
                self._vectors = vectors
            return self._vectors

    def _live_ids(self, segment: Segment) -> np.ndarray:
        """Return the ids of this generation's chunks in ``segment``'s id range."""
        _, rows = self._query("SELECT id FROM chunks WHERE id BETWEEN ? AND ?", [segment.first_id, segment.last_id])
        return np.asarray([r[0] for r in rows], dtype=np.int64)

    @property
    def vectors(self) -> Vectors:
        """Return this generation's vectors (read from their segments on first use)."""
        return self._vectors if self._vectors is not None else self._load_vectors()

    def search(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        """Return (chunk id, inner product) of the ``k`` nearest chunks, best first."""
        if self.manifest.chunks == 0 or k <= 0:
            return []
        return self.vectors.search(query, k)

    @property
    def has_lexical(self) -> bool:
        """Whether this generation has a lexical index built by this egov-qa's analyser."""
        return self.manifest.has_lexical

    @property
    def _live_terms(self) -> str:
        """The join that keeps the lexical index to this generation's chunks (its table holds them all)."""
        return " JOIN chunks ON chunks.id = chunk_terms.rowid" if self.generational else ""

    def lexical_search(self, terms: Sequence[str], k: int | None) -> list[tuple[int, float]]:
        """Return (chunk id, BM25 score) of the chunks matching any of ``terms``, best first.

        ``k=None`` returns every match. Scores are positive, higher is better.
        """
        if not terms or not self.has_lexical:
            return []
        order = " ORDER BY bm25(chunk_terms), chunk_terms.rowid"
        if k is None:
            sql = f"SELECT chunk_terms.rowid, -bm25(chunk_terms) FROM chunk_terms{self._live_terms}"
            sql += " WHERE chunk_terms MATCH ?"
            return [(int(i), float(s)) for i, s in self._query(sql + order, [_match(terms)])[1]]
        # the lexical table holds every generation's rows: take the best matches, then keep this
        # generation's (one lookup per kept row, not per match), taking more while some were not
        want = k
        while True:
            sql = f"SELECT rowid, -bm25(chunk_terms) FROM chunk_terms WHERE chunk_terms MATCH ?{order} LIMIT ?"
            rows = [(int(i), float(s)) for i, s in self._query(sql, [_match(terms), want])[1]]
            kept = self._in_generation(rows)
            if len(kept) >= k or len(rows) < want:
                return kept[:k]
            want *= 4

    def _in_generation(self, rows: list[tuple[int, float]]) -> list[tuple[int, float]]:
        """Return those of (chunk id, score) ``rows`` whose chunk this generation holds, in order."""
        if not self.generational or not rows:
            return rows
        live = {r[0] for r in self._rows_of("SELECT id FROM chunks WHERE id IN ({})", [i for i, _ in rows])}
        return [row for row in rows if row[0] in live]

    def _rows_of(self, sql: str, ids: Sequence[int]) -> list[tuple[Any, ...]]:
        """Run ``sql``, whose ``{}`` takes a list of ids, over ``ids`` 500 at a time (SQLite caps the parameters)."""
        rows: list[tuple[Any, ...]] = []
        for i in range(0, len(ids), 500):
            part = list(ids[i : i + 500])
            rows += self._query(sql.format(",".join("?" * len(part))), part)[1]
        return rows

    def lexical_scores(self, terms: Sequence[str], ids: Sequence[int]) -> dict[int, float]:
        """Return the BM25 score of each of ``ids`` that matches any of ``terms`` (others are absent).

        ``ids`` are chunks of this generation (e.g. its dense hits), so no row of another is returned.
        """
        if not terms or not ids or not self.has_lexical:
            return {}
        marks = ",".join("?" * len(ids))
        _, rows = self._query(
            f"SELECT rowid, -bm25(chunk_terms) FROM chunk_terms WHERE chunk_terms MATCH ? AND rowid IN ({marks})",
            [_match(terms), *ids],
        )
        return {int(i): float(s) for i, s in rows}

    def vectors_of(self, ids: Sequence[int]) -> np.ndarray:
        """Return the stored vectors of chunk ``ids`` (one row each)."""
        return self.vectors.reconstruct(ids)

    def unit_vectors_of(self, ids: Sequence[int]) -> dict[int, UnitVectors]:
        """Return the evidence-unit vectors kept at ingest for those of chunk ``ids`` that have them."""
        if not ids or not self._has_units or self.manifest.units_version != UNITS_VERSION:
            return {}
        rows = self._rows_of("SELECT id, units FROM chunks WHERE units IS NOT NULL AND id IN ({})", ids)
        dimension = self.manifest.model.dimension
        try:
            return {int(i): UnitVectors.from_bytes(blob, dimension) for i, blob in rows}
        except ValueError as exc:
            raise IndexCorruptError(
                f"Unit vectors in {self.manifest.store_file} are damaged ({exc}). {rebuild_hint(self.index_dir)}"
            ) from exc

    def dense_all(self, query: np.ndarray) -> list[tuple[int, float]]:
        """Return (chunk id, inner product) of every chunk, best first (exact; for filtered search)."""
        return self.vectors.search_all(query) if self.manifest.chunks else []

    def document_rows(self) -> list[tuple[str, str, dict[str, Any], str]]:
        """Return (doc_id, title, metadata, first 600 characters of text) of every document."""
        _, rows = self._query("SELECT doc_id, title, metadata, substr(text, 1, 600) FROM documents")
        return [(r[0], r[1], json.loads(r[2]), r[3]) for r in rows]

    def chunk_documents(self) -> dict[int, str]:
        """Return {chunk id: doc_id} for every chunk."""
        return {int(i): d for i, d in self._query("SELECT id, doc_id FROM chunks")[1]}

    def _query(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Run one read under the lock: one connection is shared by every thread."""
        with self._db_lock:
            cur = self._db.execute(sql, list(params))
            return [c[0] for c in cur.description], cur.fetchall()

    def chunk_rows(self, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """Return chunk rows with their document's title and metadata, keyed by chunk id."""
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        cols, values = self._query(
            "SELECT c.id, c.doc_id, c.ordinal, c.start, c.end, c.text, c.heading, c.page, c.sentences,"
            f" {'c.details' if self._has_details else 'NULL AS details'},"
            f" d.title, d.metadata FROM chunks c JOIN documents d USING(doc_id) WHERE c.id IN ({marks})",
            ids,
        )
        rows = {}
        for value in values:
            row = dict(zip(cols, value, strict=True))
            row["sentences"] = [tuple(s) for s in json.loads(row["sentences"])]
            row["metadata"] = json.loads(row["metadata"])
            details = json.loads(row.pop("details") or "{}")
            row["location"] = Location.from_json(details["location"]) if "location" in details else None
            row["page_starts"] = tuple(details.get("page_starts", ()))
            rows[row["id"]] = row
        return rows

    def regulations(self) -> dict[str, dict[str, Any]]:
        """Return {doc_id: row} of the documents that are regulations.

        A row holds ``reference`` (its token), ``title``, ``issuer``, ``opening`` (the first 600
        characters of its text) and the (token, words) pairs it ``amends``, ``repeals`` and
        ``partly_repeals``.
        """
        if self._regulations is None:
            found: dict[str, dict[str, Any]] = {}
            if self._has_details:
                cols, rows = self._query(
                    "SELECT r.doc_id, r.reference, r.title, r.issuer, r.amends, r.repeals, r.partly_repeals,"
                    " substr(d.text, 1, 600) AS opening FROM regulations r JOIN documents d USING(doc_id)"
                )
                for value in rows:
                    row = dict(zip(cols, value, strict=True))
                    for key in ("amends", "repeals", "partly_repeals"):
                        row[key] = tuple((str(t), str(w)) for t, w in json.loads(row[key]))
                    found[row.pop("doc_id")] = row
            self._regulations = found
        return self._regulations

    def regulation_infos(self) -> dict[str, RegulationInfo]:
        """Return {doc_id: RegulationInfo} of every regulation, with the indexed ones that amend or repeal it."""
        if self._infos is None:
            rows = self.regulations()
            related = resolve(rows)
            self._infos = {
                doc_id: RegulationInfo(
                    row["reference"],
                    amended_by=tuple(sorted(related.get((doc_id, "amends"), ()))),
                    repealed_by=tuple(sorted(related.get((doc_id, "repeals"), ()))),
                    partly_repealed_by=tuple(sorted(related.get((doc_id, "partly_repeals"), ()))),
                    issuer=ministry(f"{row['issuer']} {row['opening']}"),
                )
                for doc_id, row in rows.items()
            }
        return self._infos

    def embed_input_ids(self, wanted: Sequence[str]) -> dict[str, int]:
        """Return {embed input: chunk id} of the stored chunks embedded from one of ``wanted``."""
        want, found = set(wanted), {}
        with self._db_lock:
            rows = self._db.execute(
                "SELECT c.id, d.title, c.heading, c.text FROM chunks c JOIN documents d USING(doc_id)"
            )
            for chunk_id, title, heading, text in rows:  # streamed: an index may hold millions of chunks
                key = embed_input(title, heading, text)
                if key in want:
                    found[key] = int(chunk_id)
        return found

    def chunk_locations(self, doc_id: str) -> list[tuple[int, Location]]:
        """Return (chunk id, location) of a document's chunks that have one, in text order."""
        if not self._has_details:
            return []
        _, rows = self._query("SELECT id, details FROM chunks WHERE doc_id = ? ORDER BY start", [doc_id])
        out = []
        for chunk_id, details in rows:
            data = json.loads(details or "{}")
            if "location" in data:
                out.append((int(chunk_id), Location.from_json(data["location"])))
        return out

    def document(self, doc_id: str) -> Document | None:
        """Return a stored document by id, or None."""
        _, rows = self._query("SELECT doc_id, text, title, metadata, pages FROM documents WHERE doc_id = ?", [doc_id])
        if not rows:
            return None
        row = rows[0]
        return Document(row[0], row[1], row[2], json.loads(row[3]), tuple(json.loads(row[4])))

    def document_ids(self) -> list[str]:
        """Return every stored document id, sorted."""
        return [r[0] for r in self._query("SELECT doc_id FROM documents ORDER BY doc_id")[1]]

    def close(self) -> None:
        """Close the SQLite connection and let go of the generation."""
        if hasattr(self, "_db"):
            self._db.close()  # closing twice is harmless
        if self._lock is not None:
            self._lock.close()
            self._lock = None


class IndexWriter:
    """Builds the next generation of an index; :meth:`commit` swaps it in atomically.

    An ingest over a current index of this format appends in place: its rows go into the same
    SQLite file, tagged with the new generation (readers of the current one do not see them),
    and its vectors into one new segment file. Older formats, a new analyser or a new cut of
    evidence units are copied into a new SQLite file first; a full rebuild starts one afresh.
    """

    def __init__(
        self,
        index_dir: Path,
        *,
        dimension: int,
        base: IndexReader | None,
        current: Manifest | None = None,
        compact: bool = False,
    ) -> None:
        """Start a new generation on top of ``base`` (the current one), or afresh when it is None.

        ``current`` is the live generation's manifest when it is not built on (a full rebuild):
        its files stay untouched until the new generation is swapped in. ``compact`` copies only
        the live rows into a new SQLite file and merges every segment into one. The caller holds
        :func:`write_lock` from before it read the current generation until the commit or abort.
        """
        index_dir.mkdir(parents=True, exist_ok=True)
        self.index_dir, self.dimension, self._compact = index_dir, dimension, compact
        live = base.manifest if base is not None else current
        self.generation = live.generation + 1 if live else max([0, *self._generations_on_disk()]) + 1
        self.index_id = live.index_id if live is not None and live.index_id else uuid.uuid4().hex
        self._retired = self._sweep(live)
        self._segments: list[Segment] = list(base.manifest.segments) if base is not None else []
        self._new_ids: list[np.ndarray] = []
        self._new_vectors: list[np.ndarray] = []
        self._removed: list[int] = []
        self._written: list[Path] = []
        self._committed = False
        self.reanalyzed = 0
        in_place = (
            base is not None and base.generational and base.has_lexical and base._has_units
            and base.manifest.units_version == UNITS_VERSION and not compact
        )  # fmt: skip
        if in_place:
            assert base is not None
            self.store_file = base.manifest.store_file
            self._db_tmp: Path | None = None
            self._db = sqlite3.connect(index_dir / self.store_file)
            self._db.execute("PRAGMA journal_mode = WAL")  # readers go on reading while this generation is written
            self._db.execute("BEGIN IMMEDIATE")
            self._undo_after(base.manifest.generation)
        else:
            self.store_file = _STORE.format(gen=self.generation)
            self._db_tmp = index_dir / (self.store_file + ".tmp")
            self._db = sqlite3.connect(self._db_tmp)
            self._db.executescript(_SCHEMA)
            self._db.execute("BEGIN")
            if base is not None:
                self._copy(base)
        if live is not None and self._db_tmp is not None:  # a new SQLite file: the old one, or all, retire
            self._retire({live.store_file} if base is not None else live.files)
        self._documents = int(self._db.execute("SELECT COUNT(*) FROM documents WHERE removed IS NULL").fetchone()[0])
        self._chunks = sum(seg.live for seg in self._segments)

    def _retire(self, files: set[str]) -> None:
        self._retired += [(f, self.generation) for f in sorted(files) if f not in {r for r, _ in self._retired}]

    def _undo_after(self, generation: int) -> None:
        """Drop what a build that crashed after writing its rows but before its swap left in the store."""
        gone = [r[0] for r in self._db.execute("SELECT id FROM chunks WHERE added > ?", (generation,))]
        self._db.executemany("DELETE FROM chunk_terms WHERE rowid = ?", [(i,) for i in gone])
        for table in _TABLES:
            self._db.execute(f"DELETE FROM {table} WHERE added > ?", (generation,))
            self._db.execute(f"UPDATE {table} SET removed = NULL WHERE removed > ?", (generation,))

    def _copy(self, base: IndexReader) -> None:
        """Copy the base generation's rows into this new file (dropping removed ones, adding new columns)."""
        old = self.index_dir / base.manifest.store_file
        self._db.execute("ATTACH DATABASE ? AS old", (str(old),))
        live = f"WHERE {_live(base.manifest.generation)}" if base.generational else ""
        self._db.execute(
            "INSERT INTO documents (doc_id, title, text, metadata, content_hash, pages, added)"
            f" SELECT doc_id, title, text, metadata, content_hash, pages, 0 FROM old.documents {live}"
        )
        details = "details" if base._has_details else "NULL"
        units = "units" if base._has_units and base.manifest.units_version == UNITS_VERSION else "NULL"
        self._db.execute(
            f"INSERT INTO chunks (id, {_CHUNK_COLUMNS}, added) SELECT id, doc_id, ordinal, start, end, text,"
            f" heading, page, sentences, {details}, {units}, 0 FROM old.chunks {live}"
        )
        # chunk ids are never reused: a removed chunk's vector may still sit in a segment
        (last,) = self._db.execute("SELECT seq FROM old.sqlite_sequence WHERE name = 'chunks'").fetchone() or (0,)
        self._db.execute("UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = 'chunks'", (last,))
        if base._has_details:
            self._db.execute(
                "INSERT INTO regulations (doc_id, reference, title, issuer, amends, repeals, partly_repeals, added)"
                " SELECT doc_id, reference, title, issuer, amends, repeals, partly_repeals, 0"
                f" FROM old.regulations {live}"
            )
        if base.has_lexical:
            self._db.execute(
                "INSERT INTO chunk_terms (rowid, terms) SELECT t.rowid, t.terms FROM old.chunk_terms t"
                " JOIN main.chunks c ON c.id = t.rowid"
            )
        else:
            self._reanalyze()
        self._db.commit()
        self._db.execute("DETACH DATABASE old")
        self._db.execute("BEGIN")
        if not base.generational:  # a format-1 index: its one vectors file covers the ids copied
            (top,) = self._db.execute("SELECT COALESCE(MAX(id), 0) FROM chunks").fetchone()
            self._segments = [replace(s, last_id=int(top)) for s in self._segments]

    def _reanalyze(self) -> None:
        """(Re)build the lexical index of every stored chunk: an older index, or a new analyser."""
        self._db.execute("DELETE FROM chunk_terms")
        rows = self._db.execute(
            "SELECT c.id, d.title, c.heading, c.text FROM chunks c JOIN documents d USING(doc_id)"
            " WHERE c.removed IS NULL AND d.removed IS NULL"
        ).fetchall()
        self._db.executemany(
            "INSERT INTO chunk_terms (rowid, terms) VALUES (?, ?)",
            [(i, lexical_text(title, heading, text)) for i, title, heading, text in rows],
        )
        self.reanalyzed = len(rows)

    def _generations_on_disk(self) -> list[int]:
        found = []
        for p in self.index_dir.iterdir():
            m = _INDEX_FILE.match(p.name)
            if m:
                found.append(int(m.group(1)))
        return found

    def _sweep(self, live: Manifest | None) -> list[tuple[str, int]]:
        """Delete what no reader can need any more; return the retired files still kept.

        That is: files a crashed build left behind, and files of earlier generations once no
        reader holds a generation that reads them (rows likewise, in :meth:`_forget_removed`).
        """
        floor = min(held_generations(self.index_dir) | ({live.generation} if live else set()), default=0)
        self._floor = floor
        keep = live.files if live else set()
        retired = [(f, g) for f, g in (live.retired if live else ()) if g > floor]
        keep |= {f for f, _ in retired}
        # nothing readable: whatever is on disk is deleted at the swap (a repair never reads it)
        on_disk = {p.name for p in self.index_dir.iterdir() if _INDEX_FILE.match(p.name)}
        self._unreadable = on_disk if live is None else set()
        keep |= self._unreadable
        for p in self.index_dir.iterdir():
            owner = index_file(p.name)
            if owner is not None and (owner not in keep or p.name.endswith(".tmp")):
                p.unlink(missing_ok=True)
        return retired

    def _forget_removed(self) -> None:
        """Delete the rows of chunks removed at or before a generation no reader holds any more."""
        gone = [r[0] for r in self._db.execute("SELECT id FROM chunks WHERE removed <= ?", (self._floor,))]
        self._db.executemany("DELETE FROM chunk_terms WHERE rowid = ?", [(i,) for i in gone])
        for table in _TABLES:
            self._db.execute(f"DELETE FROM {table} WHERE removed <= ?", (self._floor,))

    def hashes(self) -> dict[str, str]:
        """Return {doc_id: content hash} of the documents in this generation."""
        return dict(self._db.execute("SELECT doc_id, content_hash FROM documents WHERE removed IS NULL"))

    def remove(self, doc_ids: Sequence[str]) -> None:
        """Remove documents, their chunks and their vectors from this generation on."""
        for doc_id in doc_ids:
            self._removed += [
                r[0] for r in self._db.execute("SELECT id FROM chunks WHERE doc_id = ? AND removed IS NULL", (doc_id,))
            ]
            for table in _TABLES:
                self._db.execute(
                    f"UPDATE {table} SET removed = ? WHERE doc_id = ? AND removed IS NULL", (self.generation, doc_id)
                )
            self._documents -= 1

    def add(
        self,
        doc: Document,
        chunks: Sequence[Chunk],
        vectors: np.ndarray,
        regulation: Regulation | None = None,
        units: Sequence[UnitVectors | None] | None = None,
    ) -> None:
        """Store a document with its chunks and their vectors (one row of ``vectors`` per chunk).

        ``regulation`` is the document parsed as a regulation, when it is one: its identity and
        relations are stored for citations and the repealed filter. ``units`` are each chunk's
        evidence-unit vectors, where the embedder pooled them.
        """
        units = units if units is not None else [None] * len(chunks)
        g = self.generation
        self._db.execute(
            "INSERT INTO documents (doc_id, title, text, metadata, content_hash, pages, added) VALUES (?,?,?,?,?,?,?)",
            (
                doc.doc_id,
                doc.title,
                doc.text,
                json.dumps(dict(doc.metadata), ensure_ascii=False, default=str),
                doc.content_hash,
                json.dumps(list(doc.pages)),
                g,
            ),
        )
        ids = []
        for c, u in zip(chunks, units, strict=True):
            cur = self._db.execute(
                f"INSERT INTO chunks ({_CHUNK_COLUMNS}, added) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (c.doc_id, c.ordinal, c.start, c.end, c.text, c.heading, c.page, json.dumps(c.sentences), _details(c),
                 u.to_bytes() if u is not None else None, g),
            )  # fmt: skip
            ids.append(int(cur.lastrowid or 0))
        if regulation is not None and regulation.identity is not None:
            ident = regulation.identity
            self._db.execute(
                "INSERT INTO regulations (doc_id, reference, title, issuer, amends, repeals, partly_repeals, added)"
                " VALUES (?,?,?,?,?,?,?,?)",
                (doc.doc_id, ident.token, ident.title, ident.issuer, json.dumps(regulation.amends),
                 json.dumps(regulation.repeals), json.dumps(regulation.partly_repeals), g),
            )  # fmt: skip
        self._db.executemany(
            "INSERT INTO chunk_terms (rowid, terms) VALUES (?, ?)",
            [(i, lexical_text(doc.title, c.heading, c.text)) for i, c in zip(ids, chunks, strict=True)],
        )
        self._documents += 1
        if ids:
            self._new_ids.append(np.asarray(ids, dtype=np.int64))
            self._new_vectors.append(np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(ids), -1))

    def counts(self) -> dict[str, int]:
        """Return the number of documents and chunks in this generation."""
        added = sum(len(ids) for ids in self._new_ids)
        return {"documents": self._documents, "chunks": self._chunks - len(self._removed) + added}

    def _write_segments(self) -> None:
        """Write this generation's new vectors as one segment, count the removed ones, merge as the policy says."""
        self._segments = segments.with_dead(self._segments, self._removed)
        if self._new_ids:
            name = segments.segment_name(self.generation)
            ids, vectors = np.concatenate(self._new_ids), np.vstack(self._new_vectors)
            self._written.append(self.index_dir / name)
            self._segments.append(segments.write(self.index_dir, name, ids, vectors, self.dimension))
        if self._compact:  # everything into one segment, unless it is one already
            whole = len(self._segments) > 1 or any(s.dead for s in self._segments)
            runs = [(0, len(self._segments))] if whole else []
        else:
            runs = segments.merges(self._segments)
        for part, (start, stop) in enumerate(reversed(runs), start=1):
            merged = self._merge(self._segments[start:stop], part)
            self._segments[start:stop] = [merged] if merged is not None else []

    def _merge(self, run: Sequence[Segment], part: int) -> Segment | None:
        """Write the live vectors of adjacent segments ``run`` as one segment; the old files are retired.

        Returns the new segment, or None when none of their chunks is left (no file is written).
        """
        first, last = run[0].first_id, run[-1].last_id
        live = np.asarray(
            [r[0] for r in self._db.execute(
                "SELECT id FROM chunks WHERE removed IS NULL AND id BETWEEN ? AND ?", (first, last))],
            dtype=np.int64,
        )  # fmt: skip
        ids, vectors = [], []
        for segment in run:
            seg_ids, seg_vectors = segments.arrays(segments.read(self.index_dir, segment, self.dimension))
            keep = np.isin(seg_ids, live)
            ids.append(seg_ids[keep])
            vectors.append(seg_vectors[keep])
        name = segments.segment_name(self.generation, part)
        merged = None
        if sum(len(i) for i in ids):
            self._written.append(self.index_dir / name)
            merged = segments.write(
                self.index_dir, name, np.concatenate(ids), np.vstack(vectors), self.dimension,
                first_id=first, last_id=last,
            )  # fmt: skip
        written = {p.name for p in self._written}
        self._retire({s.file for s in run if s.file not in written})
        for s in run:
            if s.file in written:  # a segment of this very generation merged at once: nobody ever read it
                (self.index_dir / s.file).unlink(missing_ok=True)
        return merged

    def commit(self, model: ModelInfo, chunking: dict[str, Any], last_ingest: LastIngest, built_by: str) -> Manifest:
        """Write this generation's files, then swap the manifest in."""
        counts = self.counts()
        self._write_segments()
        if self._db_tmp is None:
            self._forget_removed()
        self._db.commit()
        if self._db_tmp is None:  # leave the store file whole by itself, for copies and read-only readers
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._db.close()
        if self._db_tmp is not None:
            fsync_path(self._db_tmp)
            os.replace(self._db_tmp, self.index_dir / self.store_file)
        manifest = Manifest(
            generation=self.generation,
            segments=tuple(self._segments),
            store_file=self.store_file,
            model=model,
            documents=counts["documents"],
            chunks=counts["chunks"],
            chunking=chunking,
            egov_qa_version=built_by,
            built_at=datetime.now(UTC).isoformat(timespec="seconds"),
            last_ingest=last_ingest,
            analyzer=ANALYZER_VERSION,
            units_version=UNITS_VERSION,
            retired=tuple(self._retired),
            index_id=self.index_id,
        )
        manifest.write(self.index_dir)
        self._committed = True
        for name in self._unreadable:
            (self.index_dir / name).unlink(missing_ok=True)
        return manifest

    def abort(self) -> None:
        """Drop this generation; the current one stays as it was."""
        with contextlib.suppress(EgovQAError):
            if Manifest.read(self.index_dir).generation == self.generation:
                self._committed = True  # interrupted after the swap: this generation is the live one
        if self._committed:
            return
        with contextlib.suppress(sqlite3.Error):
            self._db.rollback()
        with contextlib.suppress(sqlite3.Error):
            self._db.close()
        for path in self._written:
            path.unlink(missing_ok=True)
        if self._db_tmp is not None:
            for suffix in ("", *_SQLITE_SIDE_FILES):
                (self.index_dir / (self._db_tmp.name + suffix)).unlink(missing_ok=True)


@contextlib.contextmanager
def write_lock(index_dir: Path) -> Iterator[None]:
    """Hold the index's writer lock: one ingest at a time, from reading the current generation to the swap.

    Raises:
        EgovQAError: another ingest holds it.
    """
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / LOCK_NAME, "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise EgovQAError(f"Another ingest is writing the index at {index_dir}; wait for it to finish.") from exc
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@contextlib.contextmanager
def open_writer(
    index_dir: Path,
    *,
    dimension: int,
    base: IndexReader | None,
    current: Manifest | None = None,
    compact: bool = False,
) -> Iterator[IndexWriter]:
    """Yield an :class:`IndexWriter`; any exception (Ctrl-C included) aborts it and propagates."""
    writer = IndexWriter(index_dir, dimension=dimension, base=base, current=current, compact=compact)
    try:
        yield writer
    except BaseException:
        writer.abort()
        raise
