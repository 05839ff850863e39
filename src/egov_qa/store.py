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
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from egov_qa.analysis import ANALYZER_VERSION, analyze
from egov_qa.errors import EgovQAError, IndexCorruptError
from egov_qa.evidence_vectors import UNITS_VERSION, UnitVectors
from egov_qa.manifest import LastIngest, Manifest, ModelInfo, fsync_path, rebuild_hint
from egov_qa.records import Chunk, Document, Location, RegulationInfo
from egov_qa.regulation import Regulation
from egov_qa.regulation.relations import ministry, resolve

LOCK_NAME = ".lock"
_VECTORS = "vectors-{gen}.faiss"
_STORE = "store-{gen}.sqlite"
_GENERATION_FILE = re.compile(r"(?:vectors|store)-(\d+)\.")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY, title TEXT NOT NULL, text TEXT NOT NULL, metadata TEXT NOT NULL,
    content_hash TEXT NOT NULL, pages TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL, text TEXT NOT NULL,
    heading TEXT NOT NULL, page INTEGER, sentences TEXT NOT NULL, details TEXT, units BLOB
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE TABLE IF NOT EXISTS regulations (
    doc_id TEXT PRIMARY KEY REFERENCES documents(doc_id) ON DELETE CASCADE,
    reference TEXT NOT NULL, title TEXT NOT NULL, issuer TEXT NOT NULL,
    amends TEXT NOT NULL, repeals TEXT NOT NULL, partly_repeals TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS regulations_reference ON regulations(reference);
CREATE VIRTUAL TABLE IF NOT EXISTS chunk_terms USING fts5(
    terms, tokenize = "unicode61 remove_diacritics 2 tokenchars '_'"
);
"""


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


def _new_faiss(dimension: int) -> Any:
    import faiss

    return faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))


class IndexReader:
    """A read-only view of one generation of an index: FAISS in memory, SQLite rows on demand."""

    def __init__(self, index_dir: Path) -> None:
        """Open the generation named by ``index_dir``'s manifest.

        Raises:
            IndexNotFoundError, IndexCorruptError, IndexMismatchError: see :meth:`Manifest.read`.
        """
        import faiss

        self.index_dir = index_dir
        self.manifest = Manifest.read(index_dir)
        vec_path, db_path = index_dir / self.manifest.vectors_file, index_dir / self.manifest.store_file
        for p in (vec_path, db_path):
            if not p.is_file():
                raise IndexCorruptError(f"{p} is missing. {rebuild_hint(index_dir)}")
        try:
            self.vectors = faiss.read_index(str(vec_path))
        except RuntimeError as exc:
            raise IndexCorruptError(f"{vec_path} is unreadable ({exc}). {rebuild_hint(index_dir)}") from exc
        self._db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, check_same_thread=False)
        self._db_lock = threading.Lock()
        self._check(vec_path, db_path)
        # an index built before regulations were parsed has neither chunk details nor the regulations table,
        # and one built before unit vectors were kept has no units column
        columns = self._query("SELECT * FROM chunks LIMIT 0")[0]
        self._has_details, self._has_units = "details" in columns, "units" in columns
        self._regulations: dict[str, dict[str, Any]] | None = None
        self._infos: dict[str, RegulationInfo] | None = None

    def _check(self, vec_path: Path, db_path: Path) -> None:
        try:
            (n_chunks,) = self._query("SELECT COUNT(*) FROM chunks")[1][0]
        except sqlite3.DatabaseError as exc:
            raise IndexCorruptError(f"{db_path} is unreadable ({exc}). {rebuild_hint(self.index_dir)}") from exc
        if self.vectors.ntotal != n_chunks or self.vectors.d != self.manifest.model.dimension:
            raise IndexCorruptError(
                f"{vec_path} holds {self.vectors.ntotal} vectors of dimension {self.vectors.d}, but "
                f"{db_path} has {n_chunks} chunks and the manifest says dimension "
                f"{self.manifest.model.dimension}. {rebuild_hint(self.index_dir)}"
            )

    def search(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        """Return (chunk id, inner product) of the ``k`` nearest chunks, best first."""
        if self.vectors.ntotal == 0 or k <= 0:
            return []
        scores, ids = self.vectors.search(np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), k)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

    @property
    def has_lexical(self) -> bool:
        """Whether this generation has a lexical index built by this egov-qa's analyser."""
        return self.manifest.has_lexical

    def lexical_search(self, terms: Sequence[str], k: int | None) -> list[tuple[int, float]]:
        """Return (chunk id, BM25 score) of the chunks matching any of ``terms``, best first.

        ``k=None`` returns every match. Scores are positive, higher is better.
        """
        if not terms or not self.has_lexical:
            return []
        sql = (
            "SELECT rowid, -bm25(chunk_terms) FROM chunk_terms WHERE chunk_terms MATCH ?"
            " ORDER BY bm25(chunk_terms), rowid"
        )
        params: list[Any] = [_match(terms)]
        if k is not None:
            sql += " LIMIT ?"
            params.append(k)
        return [(int(i), float(s)) for i, s in self._query(sql, params)[1]]

    def lexical_scores(self, terms: Sequence[str], ids: Sequence[int]) -> dict[int, float]:
        """Return the BM25 score of each of ``ids`` that matches any of ``terms`` (others are absent)."""
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
        if not ids:
            return np.zeros((0, self.vectors.d), dtype=np.float32)
        return np.vstack([self.vectors.reconstruct(int(i)) for i in ids])

    def unit_vectors_of(self, ids: Sequence[int]) -> dict[int, UnitVectors]:
        """Return the evidence-unit vectors kept at ingest for those of chunk ``ids`` that have them."""
        if not ids or not self._has_units or self.manifest.units_version != UNITS_VERSION:
            return {}
        rows: list[tuple[Any, ...]] = []
        for i in range(0, len(ids), 500):  # SQLite caps the parameters of one statement
            part = ids[i : i + 500]
            marks = ",".join("?" * len(part))
            rows += self._query(f"SELECT id, units FROM chunks WHERE units IS NOT NULL AND id IN ({marks})", part)[1]
        dimension = self.manifest.model.dimension
        try:
            return {int(i): UnitVectors.from_bytes(blob, dimension) for i, blob in rows}
        except ValueError as exc:
            raise IndexCorruptError(
                f"Unit vectors in {self.manifest.store_file} are damaged ({exc}). {rebuild_hint(self.index_dir)}"
            ) from exc

    def dense_all(self, query: np.ndarray) -> list[tuple[int, float]]:
        """Return (chunk id, inner product) of every chunk, best first (exact; for filtered search)."""
        return self.search(query, int(self.vectors.ntotal))

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
        """Close the SQLite connection."""
        self._db.close()


class IndexWriter:
    """Builds the next generation of an index; :meth:`commit` swaps it in atomically."""

    def __init__(
        self, index_dir: Path, *, dimension: int, base: IndexReader | None, current: Manifest | None = None
    ) -> None:
        """Start a new generation, copying ``base`` (the current one) when given.

        ``current`` is the live generation's manifest when it is not copied (a full rebuild): its
        files stay untouched until the new generation is swapped in. The caller holds
        :func:`write_lock` from before it read the current generation until the commit or abort.
        """
        import faiss

        index_dir.mkdir(parents=True, exist_ok=True)
        self.index_dir = index_dir
        current = base.manifest if base is not None else current
        self._old_files = {current.vectors_file, current.store_file} if current else set()
        if current is not None:
            self._remove_strays(keep=self._old_files)
            self.generation = current.generation + 1
        else:  # nothing readable: number after whatever is on disk (a repair never goes back), delete at the swap
            self.generation = max([0, *self._generations_on_disk()]) + 1
        self.files = {"vectors": _VECTORS.format(gen=self.generation), "store": _STORE.format(gen=self.generation)}
        self._db_tmp = index_dir / (self.files["store"] + ".tmp")
        self._db = sqlite3.connect(self._db_tmp)
        if base is not None:
            base._db.backup(self._db)
            self.vectors = faiss.clone_index(base.vectors)
        else:
            self.vectors = _new_faiss(dimension)
        if base is not None and not base._has_details:
            self._db.execute("ALTER TABLE chunks ADD COLUMN details TEXT")
        if base is not None and not base._has_units:
            self._db.execute("ALTER TABLE chunks ADD COLUMN units BLOB")
        elif base is not None and base.manifest.units_version != UNITS_VERSION:
            # units cut another way: their vectors no longer line up; changed documents get new ones
            self._db.execute("UPDATE chunks SET units = NULL")
        self._db.executescript(_SCHEMA)
        self._db.execute("PRAGMA foreign_keys = ON")
        self._db.execute("BEGIN")
        self.reanalyzed = 0
        if base is not None and not base.has_lexical:
            self._reanalyze()

    def _reanalyze(self) -> None:
        """(Re)build the lexical index of every stored chunk: an older index, or a new analyser."""
        self._db.execute("DELETE FROM chunk_terms")
        rows = self._db.execute(
            "SELECT c.id, d.title, c.heading, c.text FROM chunks c JOIN documents d USING(doc_id)"
        ).fetchall()
        self._db.executemany(
            "INSERT INTO chunk_terms (rowid, terms) VALUES (?, ?)",
            [(i, lexical_text(title, heading, text)) for i, title, heading, text in rows],
        )
        self.reanalyzed = len(rows)

    def _generations_on_disk(self) -> list[int]:
        found = []
        for p in self.index_dir.iterdir():
            m = _GENERATION_FILE.match(p.name)
            if m:
                found.append(int(m.group(1)))
        return found

    def _remove_strays(self, keep: set[str]) -> None:
        """Delete files of generations that a crashed build left behind (a damaged live one is kept until the swap)."""
        for p in self.index_dir.iterdir():
            if p.name.startswith(("vectors-", "store-")) and p.name not in keep:
                p.unlink(missing_ok=True)

    def hashes(self) -> dict[str, str]:
        """Return {doc_id: content hash} of the documents in this generation."""
        return dict(self._db.execute("SELECT doc_id, content_hash FROM documents"))

    def remove(self, doc_ids: Sequence[str]) -> None:
        """Remove documents, their chunks and their vectors."""
        if not doc_ids:
            return
        chunk_ids: list[int] = []
        for doc_id in doc_ids:
            chunk_ids += [r[0] for r in self._db.execute("SELECT id FROM chunks WHERE doc_id = ?", (doc_id,))]
            self._db.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))
        self._db.executemany("DELETE FROM chunk_terms WHERE rowid = ?", [(i,) for i in chunk_ids])
        if chunk_ids:
            # faiss's Python wrapper turns an int64 array into an ID selector; its stubs don't say so
            self.vectors.remove_ids(np.asarray(chunk_ids, dtype=np.int64))  # type: ignore[arg-type]

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
        self._db.execute(
            "INSERT INTO documents (doc_id, title, text, metadata, content_hash, pages) VALUES (?,?,?,?,?,?)",
            (
                doc.doc_id,
                doc.title,
                doc.text,
                json.dumps(dict(doc.metadata), ensure_ascii=False, default=str),
                doc.content_hash,
                json.dumps(list(doc.pages)),
            ),
        )
        ids = []
        for c, u in zip(chunks, units, strict=True):
            cur = self._db.execute(
                "INSERT INTO chunks (doc_id, ordinal, start, end, text, heading, page, sentences, details, units)"
                " VALUES (?,?,?,?,?,?,?,?,?,?)",
                (c.doc_id, c.ordinal, c.start, c.end, c.text, c.heading, c.page, json.dumps(c.sentences), _details(c),
                 u.to_bytes() if u is not None else None),
            )  # fmt: skip
            ids.append(int(cur.lastrowid or 0))
        if regulation is not None and regulation.identity is not None:
            ident = regulation.identity
            self._db.execute(
                "INSERT INTO regulations (doc_id, reference, title, issuer, amends, repeals, partly_repeals)"
                " VALUES (?,?,?,?,?,?,?)",
                (doc.doc_id, ident.token, ident.title, ident.issuer, json.dumps(regulation.amends),
                 json.dumps(regulation.repeals), json.dumps(regulation.partly_repeals)),
            )  # fmt: skip
        self._db.executemany(
            "INSERT INTO chunk_terms (rowid, terms) VALUES (?, ?)",
            [(i, lexical_text(doc.title, c.heading, c.text)) for i, c in zip(ids, chunks, strict=True)],
        )
        if ids:
            self.vectors.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(ids, dtype=np.int64))

    def counts(self) -> dict[str, int]:
        """Return the number of documents and chunks in this generation."""
        (docs,) = self._db.execute("SELECT COUNT(*) FROM documents").fetchone()
        return {"documents": int(docs), "chunks": int(self.vectors.ntotal)}

    def commit(self, model: ModelInfo, chunking: dict[str, Any], last_ingest: LastIngest, built_by: str) -> Manifest:
        """Write this generation's files, then swap the manifest in; the old generation is removed."""
        import faiss

        counts = self.counts()
        self._db.commit()
        self._db.close()
        fsync_path(self._db_tmp)
        vec_tmp = self.index_dir / (self.files["vectors"] + ".tmp")
        faiss.write_index(self.vectors, str(vec_tmp))
        fsync_path(vec_tmp)
        os.replace(self._db_tmp, self.index_dir / self.files["store"])
        os.replace(vec_tmp, self.index_dir / self.files["vectors"])
        manifest = Manifest(
            generation=self.generation,
            vectors_file=self.files["vectors"],
            store_file=self.files["store"],
            model=model,
            documents=counts["documents"],
            chunks=counts["chunks"],
            chunking=chunking,
            egov_qa_version=built_by,
            built_at=datetime.now(UTC).isoformat(timespec="seconds"),
            last_ingest=last_ingest,
            analyzer=ANALYZER_VERSION,
            units_version=UNITS_VERSION,
        )
        manifest.write(self.index_dir)
        self._remove_strays(keep=set(self.files.values()))
        return manifest

    def abort(self) -> None:
        """Drop this generation; the current one stays as it was."""
        with contextlib.suppress(sqlite3.Error):
            self._db.close()
        for suffix in ("", "-journal"):
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
    index_dir: Path, *, dimension: int, base: IndexReader | None, current: Manifest | None = None
) -> Iterator[IndexWriter]:
    """Yield an :class:`IndexWriter`; any exception (Ctrl-C included) aborts it and propagates."""
    writer = IndexWriter(index_dir, dimension=dimension, base=base, current=current)
    try:
        yield writer
    except BaseException:
        writer.abort()
        raise
