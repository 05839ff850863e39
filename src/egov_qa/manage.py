"""Managing a corpus folder: add an uploaded file or a fetched web page, remove a document.

Every name that comes from outside is reduced to a plain file name inside the corpus folder;
a file is checked with the same readers the ingest uses before it is saved, so a file that
would be skipped is refused up front with the reason; an existing file is never overwritten
unless asked.
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import yaml

from egov_qa.corpus import SUPPORTED_SUFFIXES, CorpusRead, read_file
from egov_qa.corpus.html import html_document
from egov_qa.corpus.text import decode_bytes
from egov_qa.errors import CorpusError

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
FETCH_TIMEOUT = 20.0
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(name: str) -> str:
    """Reduce an uploaded file name to a plain, safe name (no folders, no hidden files).

    Raises:
        CorpusError: nothing usable is left, or the extension is not a supported format.
    """
    base = unicodedata.normalize("NFKC", name).replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = _UNSAFE.sub("-", stem).strip("-._")[:120]
    suffix = "." + suffix.lower() if suffix else ""
    if suffix not in SUPPORTED_SUFFIXES:
        raise CorpusError(
            f"{name!r}: unsupported file type {suffix or '(none)'}; use one of {', '.join(SUPPORTED_SUFFIXES)}"
        )
    if not stem:
        raise CorpusError(f"{name!r} has no usable file name")
    return stem + suffix


def check_file(name: str, data: bytes, *, max_bytes: int = MAX_UPLOAD_BYTES) -> int:
    """Check an upload the way the ingest will read it; return how many documents it holds.

    Raises:
        CorpusError: empty, too large, binary where text is expected, or unreadable (with why).
    """
    safe = safe_name(name)
    if not data:
        raise CorpusError(f"{name}: the file is empty")
    if len(data) > max_bytes:
        raise CorpusError(f"{name}: {len(data) / 2**20:.1f} MB is over the {max_bytes / 2**20:.0f} MB limit")
    if not safe.endswith(".pdf"):
        decode_bytes(data)  # raises on binary content
    elif not data.startswith(b"%PDF-"):
        raise CorpusError(f"{name}: not a PDF file (it does not start with %PDF-)")
    with tempfile.TemporaryDirectory(prefix="egov-qa-check-") as tmp:
        path = Path(tmp) / safe
        path.write_bytes(data)
        read = CorpusRead()
        read_file(path, Path(tmp), read)
    if read.skipped and not read.documents:
        raise CorpusError(f"{name}: {read.skipped[0].reason}")
    if not read.documents:
        raise CorpusError(f"{name}: no document could be read from it")
    return len(read.documents)


def _target(corpus_dir: Path, name: str) -> Path:
    target = (corpus_dir / name).resolve()
    if target.parent != corpus_dir.resolve():
        raise CorpusError(f"{name!r} would land outside the corpus folder {corpus_dir}")
    return target


def add_file(
    corpus_dir: Path, name: str, data: bytes, *, overwrite: bool = False, max_bytes: int = MAX_UPLOAD_BYTES
) -> Path:
    """Check ``data`` and save it into ``corpus_dir`` under a sanitised ``name``; return the path.

    Raises:
        CorpusError: the name holds a folder part ("../x.txt", "a/b.md"), the file is refused
            (see :func:`check_file`), or one of that name exists and ``overwrite`` is False.
    """
    if "/" in name or "\\" in name or name.strip().startswith(".") or "\x00" in name:
        raise CorpusError(f"{name!r}: a file name cannot contain folders or start with a dot; rename the file")
    safe = safe_name(name)
    target = _target(corpus_dir, safe)
    if target.exists() and not overwrite:
        raise CorpusError(f"{safe} already exists in the corpus; replace it explicitly to overwrite it")
    check_file(name, data, max_bytes=max_bytes)
    corpus_dir.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{safe}.part")
    tmp.write_bytes(data)
    os.replace(tmp, target)
    return target


def fetch_page(url: str, *, timeout: float = FETCH_TIMEOUT, max_bytes: int = MAX_UPLOAD_BYTES) -> tuple[str, bytes]:
    """Fetch a web page and extract its main text as a Markdown file with front matter.

    Returns:
        A file name derived from the URL, and the file's bytes (title, url, date, site in the
        front matter; the main text below).

    Raises:
        CorpusError: not an http(s) URL, the fetch failed, the page is too large, or no main
            text could be extracted from it.
    """
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise CorpusError(f"{url!r} is not an http(s) URL")
    request = urllib.request.Request(url.strip(), headers={"User-Agent": "egov-qa"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # the scheme was checked above
            data = response.read(max_bytes + 1)
            charset = response.headers.get_content_charset() or "utf-8"
    except (urllib.error.URLError, TimeoutError, ValueError) as exc:
        raise CorpusError(f"Could not fetch {url}: {getattr(exc, 'reason', exc)}") from exc
    if len(data) > max_bytes:
        raise CorpusError(f"{url} is over the {max_bytes / 2**20:.0f} MB limit")
    doc = html_document("page", data.decode(charset, errors="replace"), url=url.strip())
    front = {"title": doc.title or parts.netloc, "url": url.strip()}
    front.update({k: str(v) for k in ("date", "sitename", "author") if (v := doc.metadata.get(k))})
    front.setdefault("source", str(doc.metadata.get("sitename") or parts.netloc))
    body = "---\n" + yaml.safe_dump(front, allow_unicode=True, sort_keys=False) + "---\n" + doc.text + "\n"
    slug = (parts.netloc + parts.path).rstrip("/") or parts.netloc
    return safe_name(_UNSAFE.sub("-", slug)[-100:] + ".md"), body.encode("utf-8")


def remove_file(corpus_dir: Path, doc_id: str) -> Path:
    """Delete the corpus file a document came from (a JSONL file holds all its documents).

    Raises:
        CorpusError: the document's file is not inside ``corpus_dir`` or does not exist.
    """
    rel = doc_id.split("#", 1)[0]
    target = (corpus_dir / rel).resolve()
    root = corpus_dir.resolve()
    if root not in target.parents:
        raise CorpusError(f"{doc_id!r} is not a file of the corpus folder {corpus_dir}")
    if not target.is_file():
        raise CorpusError(f"No file {rel} in the corpus folder {corpus_dir}")
    target.unlink()
    return target
