"""The index manifest (manifest.json): what an index holds, which files, and what it was built with.

Every reader of an index goes through :class:`Manifest`: the store opens the files it names, the
ingest checks the model and chunking against it, the CLI and the app show it. A new field goes
here, in :meth:`Manifest.to_dict` and :meth:`Manifest.from_dict`, and nowhere else.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from egov_qa.analysis import ANALYZER_VERSION
from egov_qa.config import BACKEND_ST, BACKENDS
from egov_qa.errors import IndexCorruptError, IndexMismatchError, IndexNotFoundError
from egov_qa.records import Skipped

if TYPE_CHECKING:
    from egov_qa.embedding import Embedder

FORMAT_VERSION = 2
# version 1: one vectors file per generation, rewritten whole; read, and turned into version 2 at the next ingest
READABLE_VERSIONS = (1, 2)
KIND_FLAT, KIND_HNSW = "flat", "hnsw"
MANIFEST_NAME = "manifest.json"
LEXICAL_ENGINE = "sqlite-fts5-bm25"


def rebuild_hint(index_dir: Path) -> str:
    """Return the command that rebuilds the index at ``index_dir`` from scratch."""
    return f"Rebuild it: egov-qa ingest CORPUS --index {index_dir} --full"


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """The embedding model an index was built with; a query must use the same one."""

    name: str
    dimension: int
    fingerprint: str | None = None
    query_prompt: str = ""
    passage_prompt: str = ""
    max_tokens: int | None = None
    backend: str = BACKEND_ST

    @property
    def engine(self) -> str | None:
        """The engine to load this model on again (None for a registered or test embedder)."""
        return self.backend if self.backend in BACKENDS else None

    def engine_for(self, name: str) -> str | None:
        """Return the engine to load model ``name`` on: the index's own for its own model, else None."""
        return self.engine if name == self.name else None

    @classmethod
    def of(cls, embedder: Embedder) -> ModelInfo:
        """Describe a loaded embedder (its weights' fingerprint included)."""
        return cls(
            name=embedder.name,
            dimension=embedder.dimension,
            fingerprint=embedder.fingerprint(),
            query_prompt=embedder.query_prompt,
            passage_prompt=embedder.passage_prompt,
            max_tokens=embedder.max_tokens,
            backend=str(getattr(embedder, "backend", "custom")),
        )


@dataclass(frozen=True, slots=True)
class LastIngest:
    """What the ingest that wrote this generation did."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    chunks_embedded: int = 0
    skipped: tuple[Skipped, ...] = ()
    notes: tuple[Skipped, ...] = ()


@dataclass(frozen=True, slots=True)
class Segment:
    """One immutable file of vectors: ``count`` vectors of chunk ids ``first_id``..``last_id``.

    ``dead`` of them belong to chunks removed since it was written; ``kind`` is ``flat`` (exact
    search) or ``hnsw`` (an approximate graph).
    """

    file: str
    count: int
    first_id: int
    last_id: int
    dead: int = 0
    kind: str = KIND_FLAT

    @property
    def live(self) -> int:
        """How many of its vectors belong to chunks still in the index."""
        return self.count - self.dead


@dataclass(frozen=True, slots=True)
class Manifest:
    """The contents of an index's manifest.json.

    ``store_file`` and ``segments`` name the current generation's files; ``retired`` are files
    of earlier generations kept until no reader can need them ((file, first generation without
    it)); ``analyzer`` is the version of the text analysis its lexical index was built with
    (None: no lexical index). ``index_id`` names the index across its generations (a new one
    for an index started afresh); ``published_from`` is set in a published copy (see
    :func:`egov_qa.publish_index`), which ingests refuse to write to.
    """

    generation: int
    segments: tuple[Segment, ...]
    store_file: str
    model: ModelInfo
    documents: int = 0
    chunks: int = 0
    chunking: Mapping[str, Any] = field(default_factory=dict)
    egov_qa_version: str = ""
    built_at: str = ""
    last_ingest: LastIngest = field(default_factory=LastIngest)
    analyzer: int | None = None
    units_version: int = 1
    retired: tuple[tuple[str, int], ...] = ()
    index_id: str = ""
    published_from: str = ""
    format_version: int = FORMAT_VERSION

    @property
    def vectors_file(self) -> str:
        """The first segment's file (an index of format 1 has only that one)."""
        return self.segments[0].file if self.segments else ""

    @property
    def files(self) -> set[str]:
        """The files this generation reads."""
        return {self.store_file, *(s.file for s in self.segments)}

    @property
    def lexical_engine(self) -> str | None:
        """The lexical index's engine, or None when there is none."""
        return LEXICAL_ENGINE if self.analyzer is not None else None

    @property
    def has_lexical(self) -> bool:
        """Whether the lexical index exists and was built by this egov-qa's analyser."""
        return self.analyzer == ANALYZER_VERSION

    def check_model(self, embedder: Embedder, index_dir: Path) -> None:
        """Raise IndexMismatchError when ``embedder`` is not the model this index was built with."""
        built = self.model
        asked = str(getattr(embedder, "backend", "custom"))
        if built.name == embedder.name and built.backend == asked and built.fingerprint != embedder.fingerprint():
            raise IndexMismatchError(
                f"The index at {index_dir} was embedded by another build of {built.name!r} on the {asked} "
                f"engine (fingerprint {built.fingerprint}; this machine's is {embedder.fingerprint()}), e.g. "
                f"another onnxruntime version. Rebuild it here: egov-qa ingest CORPUS --index {index_dir} --full"
            )
        if built.name != embedder.name or built.fingerprint != embedder.fingerprint():
            raise IndexMismatchError(
                f"The index at {index_dir} was built with model {built.name!r} on the {built.backend} engine "
                f"(fingerprint {built.fingerprint}); the model asked for is {embedder.name!r} on the {asked} "
                f"engine (fingerprint {embedder.fingerprint()}). Use --model {built.name!r} and "
                f"EGOV_QA_BACKEND={built.backend}, or rebuild: "
                f"egov-qa ingest CORPUS --index {index_dir} --model {embedder.name!r} --full"
            )

    def check_chunking(self, chunking: Mapping[str, Any], index_dir: Path) -> bool:
        """Check the index was chunked with the parameters ``chunking`` asks for.

        Returns:
            Whether only the splitter's version differs (an egov-qa upgrade that cuts some
            documents differently): the documents are then cut again, and only chunks whose
            text changed are embedded again.

        Raises:
            IndexMismatchError: the token budget or the overlap differ; changing them is a
                choice that re-embeds everything, so it asks for ``--full``.
        """
        mine = {k: v for k, v in self.chunking.items() if k != "splitter_version"}
        asked = {k: v for k, v in chunking.items() if k != "splitter_version"}
        if mine == asked:
            return self.chunking.get("splitter_version") != chunking.get("splitter_version")
        raise IndexMismatchError(
            f"The index at {index_dir} was chunked with {dict(self.chunking)}; asked for "
            f"{dict(chunking)}. Rebuild: egov-qa ingest CORPUS --index {index_dir} --full"
        )

    @classmethod
    def read(cls, index_dir: Path) -> Manifest:
        """Read and check ``index_dir``'s manifest.json.

        Raises:
            IndexNotFoundError: there is no manifest.
            IndexCorruptError: the manifest is not valid JSON or misses fields.
            IndexMismatchError: the index has another format version.
        """
        path = index_dir / MANIFEST_NAME
        if not path.is_file():
            raise IndexNotFoundError(
                f"No index at {index_dir} (missing {MANIFEST_NAME}). Run: egov-qa ingest corpus/ --index {index_dir}"
            )
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            version = data["format_version"]
        except (json.JSONDecodeError, KeyError, TypeError, UnicodeDecodeError) as exc:
            raise IndexCorruptError(f"{path} is unreadable ({exc}). {rebuild_hint(index_dir)}") from exc
        if version not in READABLE_VERSIONS:
            raise IndexMismatchError(
                f"The index at {index_dir} has format version {version}; this egov-qa reads versions "
                f"{', '.join(map(str, READABLE_VERSIONS))}. {rebuild_hint(index_dir)}"
            )
        try:
            return cls.from_dict(data)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise IndexCorruptError(f"{path} is unreadable ({exc!r}). {rebuild_hint(index_dir)}") from exc

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Manifest:
        """Build a manifest from its JSON form (raises KeyError, TypeError or ValueError on a bad one)."""
        model, files, last = _mapping(data, "model"), _mapping(data, "files"), _mapping(data, "last_ingest", {})
        counts, lexical = _mapping(data, "counts", {}), data.get("lexical")
        chunks = _integer(counts.get("chunks", 0), "counts.chunks")
        segments: tuple[Segment, ...]
        if data["format_version"] == 1:  # one vectors file holding every chunk
            segments = (Segment(_file_name(files["vectors"]), chunks, 0, 2**62),) if "vectors" in files else ()
        else:
            segments = tuple(
                Segment(
                    file=_file_name(s["file"]), count=_integer(s["vectors"], "vectors"),
                    first_id=_integer(s["ids"][0], "ids"), last_id=_integer(s["ids"][1], "ids"),
                    dead=_integer(s.get("dead", 0), "dead"), kind=_choice(s.get("kind", KIND_FLAT), "kind"),
                )
                for s in files.get("segments", [])
            )  # fmt: skip
        return cls(
            generation=_integer(data.get("generation", 0), "generation"),
            segments=segments,
            store_file=_file_name(files["store"]),
            model=ModelInfo(
                name=str(model["name"]),
                dimension=_integer(model["dimension"], "model.dimension"),
                fingerprint=_optional(model.get("fingerprint"), str, "model.fingerprint"),
                query_prompt=str(model.get("query_prompt", "")),
                passage_prompt=str(model.get("passage_prompt", "")),
                max_tokens=_optional(model.get("max_tokens"), int, "model.max_tokens"),
                # indexes from before the ONNX engine were all embedded by sentence-transformers
                backend=str(model.get("backend", BACKEND_ST)),
            ),
            documents=_integer(counts.get("documents", 0), "counts.documents"),
            chunks=chunks,
            chunking=dict(data.get("chunking") or {}),
            egov_qa_version=str(data.get("egov_qa_version", "")),
            built_at=str(data.get("built_at", "")),
            last_ingest=LastIngest(
                **{k: _integer(last.get(k, 0), k) for k in ("added", "updated", "removed", "unchanged")},
                chunks_embedded=_integer(last.get("chunks_embedded", 0), "chunks_embedded"),
                skipped=tuple(Skipped(str(s["source"]), str(s["reason"])) for s in last.get("skipped", [])),
                notes=tuple(Skipped(str(s["source"]), str(s["reason"])) for s in last.get("notes", [])),
            ),
            analyzer=_optional(lexical.get("analyzer"), int, "lexical.analyzer") if isinstance(lexical, dict) else None,
            units_version=_integer(data.get("units_version", 1), "units_version"),
            retired=tuple(
                (_file_name(r["file"]), _integer(r["generation"], "generation")) for r in files.get("retired", [])
            ),
            index_id=str(data.get("index_id", "")),
            published_from=str(data.get("published_from", "")),
            format_version=_integer(data["format_version"], "format_version"),
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form written to manifest.json."""
        m, last = self.model, self.last_ingest
        out: dict[str, Any] = {
            "format_version": self.format_version,
            "generation": self.generation,
            "files": {
                "store": self.store_file,
                "segments": [
                    {"file": s.file, "kind": s.kind, "vectors": s.count, "dead": s.dead, "ids": [s.first_id, s.last_id]}
                    for s in self.segments
                ],
                "retired": [{"file": f, "generation": g} for f, g in self.retired],
            },
            "model": {
                "name": m.name, "fingerprint": m.fingerprint, "dimension": m.dimension,
                "query_prompt": m.query_prompt, "passage_prompt": m.passage_prompt, "max_tokens": m.max_tokens,
                "backend": m.backend,
            },
            "chunking": dict(self.chunking),
            "counts": {"documents": self.documents, "chunks": self.chunks},
            "egov_qa_version": self.egov_qa_version,
            "built_at": self.built_at,
            "last_ingest": {
                "added": last.added, "updated": last.updated, "removed": last.removed, "unchanged": last.unchanged,
                "chunks_embedded": last.chunks_embedded,
                "skipped": [{"source": s.source, "reason": s.reason} for s in last.skipped],
                "notes": [{"source": s.source, "reason": s.reason} for s in last.notes],
            },
        }  # fmt: skip
        if self.analyzer is not None:
            out["lexical"] = {"engine": LEXICAL_ENGINE, "analyzer": self.analyzer}
        out["units_version"] = self.units_version
        out["index_id"] = self.index_id
        if self.published_from:
            out["published_from"] = self.published_from
        return out

    def write(self, index_dir: Path) -> None:
        """Write manifest.json atomically: a temporary sibling, fsynced, renamed over the old one."""
        write_json_atomic(index_dir / MANIFEST_NAME, self.to_dict())


def _mapping(data: Mapping[str, Any], key: str, default: dict[str, Any] | None = None) -> Mapping[str, Any]:
    value = data.get(key, default)
    if not isinstance(value, Mapping):
        raise ValueError(f"{key} must be an object, got {value!r}")
    return value


def _integer(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    return value


def _optional(value: Any, kind: type, name: str) -> Any:
    if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
        raise ValueError(f"{name} must be a {kind.__name__}, got {value!r}")
    return value


def _choice(value: Any, name: str) -> str:
    if value not in (KIND_FLAT, KIND_HNSW):
        raise ValueError(f"{name} must be {KIND_FLAT!r} or {KIND_HNSW!r}, got {value!r}")
    return str(value)


def _file_name(value: Any) -> str:
    if not isinstance(value, str) or not value or Path(value).name != value:
        raise ValueError(f"a generation file must be a plain file name, got {value!r}")
    return value


def fsync_path(path: Path) -> None:
    """Flush a file (or a folder's entries) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_json_atomic(path: Path, data: Mapping[str, Any]) -> None:
    """Write JSON to a temporary sibling, fsync it and rename it over ``path``."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(dict(data), ensure_ascii=False, indent=2), encoding="utf-8")
    fsync_path(tmp)
    os.replace(tmp, path)
    with contextlib.suppress(OSError):
        fsync_path(path.parent)
