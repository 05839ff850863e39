"""Reading a corpus folder (txt, md, html, pdf, jsonl) into cleaned Documents."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from egov_qa.corpus.html import html_document
from egov_qa.corpus.jsonl import jsonl_documents
from egov_qa.corpus.pdf import pdf_document
from egov_qa.corpus.text import decode_bytes, text_document
from egov_qa.errors import CorpusError
from egov_qa.records import Document, Skipped
from egov_qa.regulation import parse_identity
from egov_qa.regulation.cite import short_name

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".jsonl")
MAX_FILE_BYTES = 50 * 1024 * 1024
LONG_RUN = 1000
_LONG_RUN = re.compile(rf"\S{{{LONG_RUN + 1},}}")
_FILE_NAME = re.compile(r"\.(?:rtf|docx?|pdf|odt)$", re.IGNORECASE)

__all__ = ["MAX_FILE_BYTES", "SUPPORTED_SUFFIXES", "CorpusRead", "corpus_files", "read_corpus", "read_file"]


@dataclass(slots=True)
class CorpusRead:
    """The documents read from a corpus, the inputs skipped and notes on decoded ones."""

    documents: list[Document] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[Skipped] = field(default_factory=list)


def drop_long_runs(doc: Document) -> tuple[Document, int]:
    """Remove runs of over LONG_RUN characters without a space (base64, minified data): no one reads them.

    PDF page starts are moved with the text. Returns the document and how many runs went.
    """
    runs = list(_LONG_RUN.finditer(doc.text))
    if not runs:
        return doc, 0
    kept, removed_before, pos = [], [], 0
    for m in runs:
        kept.append(doc.text[pos : m.start()])
        removed_before.append((m.start(), m.end()))
        pos = m.end()
    kept.append(doc.text[pos:])

    def moved(offset: int) -> int:
        return offset - sum(min(e, offset) - s for s, e in removed_before if s < offset)

    return replace(doc, text="".join(kept), pages=tuple(moved(p) for p in doc.pages)), len(runs)


def _title_of(text: str) -> str:
    """Return a regulation's title from its opening ("UU 25/2009 tentang Pelayanan Publik"), else ""."""
    identity = parse_identity(text)
    if identity is None:
        return ""
    name = short_name(identity.token, "id")
    return f"{name} tentang {identity.title}" if identity.title else name


def _titled(doc: Document, path: Path) -> Document:
    """Give a document without a title its regulation's or its file's name.

    A PDF's own title ("UU 11 Tahun 2008.rtf", "Microsoft Word - uu25") gives way to the
    regulation's ("UU 25/2009 tentang Pelayanan Publik") when the PDF is one.
    """
    pdf = doc.metadata.get("format") == "pdf"
    if doc.title and not pdf and not _FILE_NAME.search(doc.title):
        return doc
    return replace(doc, title=_title_of(doc.text) or doc.title or _title_from_name(path))


def _title_from_name(path: Path) -> str:
    return path.stem.replace("_", " ").replace("-", " ").strip()


def _read_text_like(rel: str, path: Path, data: bytes, out: CorpusRead) -> list[Document]:
    text, note = decode_bytes(data)
    if note:
        out.notes.append(Skipped(rel, note))
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        docs, bad = jsonl_documents(rel, text)
        out.skipped.extend(bad)
        return docs
    if suffix in (".html", ".htm"):
        return [html_document(rel, text)]
    return [text_document(rel, text, markdown=suffix in (".md", ".markdown"))]


def _shown_name(rel: str) -> str:
    """Return a file name that can be printed and stored: undecodable bytes shown as escapes."""
    return rel.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _outside(path: Path, root: Path) -> str | None:
    """Return why a (linked) path must not be read: it leads out of the corpus or in a circle; else None."""
    try:
        real, top = path.resolve(strict=True), root.resolve()
    except (RuntimeError, OSError):  # RuntimeError: a symlink loop (Python 3.11)
        return "a symbolic link that leads nowhere or in a circle; not followed"
    if real != top and top not in real.parents:
        return "a symbolic link to a file outside the corpus folder; not followed"
    return None


def read_file(path: Path, root: Path, out: CorpusRead) -> None:
    """Read one corpus file into ``out``; a bad file lands in ``out.skipped`` with its reason.

    Whatever a reader raises stays with its file: one bad file never stops an ingest.
    """
    rel = path.relative_to(root).as_posix()
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        out.skipped.append(Skipped(_shown_name(rel), "the file name is not valid UTF-8; rename the file"))
        return
    refused = _outside(path, root)
    if refused:
        out.skipped.append(Skipped(rel, refused))
        return
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise CorpusError(f"file is {size / 2**20:.0f} MB, over the {MAX_FILE_BYTES // 2**20} MB limit")
        if size == 0:
            raise CorpusError("empty file")
        data = path.read_bytes()
        if path.suffix.lower() == ".pdf":
            docs = [pdf_document(rel, data)]
        else:
            docs = _read_text_like(rel, path, data, out)
    except CorpusError as exc:
        out.skipped.append(Skipped(rel, str(exc)))
        return
    except OSError as exc:
        out.skipped.append(Skipped(rel, f"unreadable: {exc.strerror or exc}"))
        return
    except Exception as exc:  # a reader's own failure (a parser bug, a missing optional module) stays with this file
        out.skipped.append(Skipped(rel, f"could not be read ({type(exc).__name__}: {exc})"))
        return
    for doc in docs:
        doc, dropped = drop_long_runs(doc)
        if dropped:
            note = f"{dropped} run(s) of over {LONG_RUN} characters without a space dropped"
            out.notes.append(Skipped(doc.doc_id, note))
        if not doc.text.strip():
            out.skipped.append(Skipped(doc.doc_id, "no readable text (only long runs without spaces: encoded data?)"))
            continue
        out.documents.append(_titled(doc, path))


def corpus_files(root: Path) -> list[Path]:
    """Return the supported files below ``root`` in the order they are read (hidden ones left out)."""
    return sorted(
        p
        for p in root.rglob("*")
        if p.suffix.lower() in SUPPORTED_SUFFIXES
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
        and (p.is_file() or p.is_symlink())
    )


def read_corpus(root: Path, *, on_file: Callable[[Path], None] | None = None) -> CorpusRead:
    """Read every supported file below ``root``; other files and hidden ones are ignored.

    Raises:
        CorpusError: ``root`` is not a folder.
    """
    if not root.is_dir():
        raise CorpusError(f"No corpus folder at {root}. Create it and put .txt/.md/.html/.pdf/.jsonl files in it.")
    out = CorpusRead()
    for path in corpus_files(root):
        if on_file is not None:
            on_file(path)
        read_file(path, root, out)
    return out
