"""Managing a corpus folder: add a file or a fetched web page, remove a document, then update the index.

:class:`Corpus` is what the CLI (``egov-qa add`` / ``remove``) and the app's corpus page both
call. Every name that comes from outside is reduced to a plain file name inside the corpus
folder; a file is checked with the same readers the ingest uses before it is saved, so a file
that would be skipped is refused up front with the reason. One overwrite rule for every way in:
an existing file is replaced only when ``overwrite=True`` is passed.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import re
import tempfile
import unicodedata
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml

from egov_qa.config import Settings
from egov_qa.corpus import SUPPORTED_SUFFIXES, CorpusRead, read_file
from egov_qa.corpus.html import html_document
from egov_qa.corpus.text import decode_bytes
from egov_qa.embedding import Embedder
from egov_qa.errors import CorpusError
from egov_qa.fetch import Fetched, fetch
from egov_qa.ingest import build_index
from egov_qa.records import IngestReport, Skipped

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
Access = Literal["open", "password", "closed"]
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def is_loopback(address: str | None) -> bool:
    """Tell whether a server address listens on this machine only (localhost, 127.0.0.0/8, ::1)."""
    host = (address or "").strip().strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _host_of(host_header: str) -> str:
    """Return the host name of an HTTP Host header ("localhost:8501", "[::1]:8501")."""
    value = host_header.strip()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


def management_access(
    settings: Settings, address: str | None, *, request_host: str | None = None, forwarded: bool = False
) -> Access:
    """Decide who may change the corpus through a server listening on ``address``.

    ``"password"``: an admin password is set, so it is asked for; ``"open"``: no password, the
    server listens on this machine only and the request names this machine (``request_host``,
    the HTTP Host header, when there is a request) and came through no proxy (``forwarded``) —
    a page on another site that rebinds its name to 127.0.0.1, or a reverse proxy, is not this
    machine's user; ``"closed"``: anything else without a password, so the corpus is read-only.
    """
    if settings.admin_password:
        return "password"
    local_request = request_host is None or is_loopback(_host_of(request_host))
    return "open" if is_loopback(address) and local_request and not forwarded else "closed"


def check_admin_password(settings: Settings, given: str) -> bool:
    """Compare ``given`` with the admin password in constant time (False when none is set)."""
    expected = settings.admin_password
    return bool(expected) and hmac.compare_digest(given.encode("utf-8"), str(expected).encode("utf-8"))


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


def check_file(name: str, data: bytes, *, max_bytes: int | None = None) -> int:
    """Check an upload the way the ingest will read it; return how many documents it holds.

    Raises:
        CorpusError: empty, too large, binary where text is expected, or unreadable (with why).
    """
    safe = safe_name(name)
    max_bytes = max_bytes or MAX_UPLOAD_BYTES
    if not data:
        raise CorpusError(f"{name}: the file is empty")
    if len(data) > max_bytes:
        raise CorpusError(f"{name}: {len(data) / 2**20:.1f} MB is over the {max_bytes / 2**20:.0f} MB limit")
    if not safe.endswith(".pdf"):
        try:
            decode_bytes(data)  # raises on binary content
        except CorpusError as exc:
            raise CorpusError(f"{name}: {exc}") from exc
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
    """Return where a plain file name lands in the folder, without following a link of that name."""
    target = corpus_dir.resolve() / name
    if target.parent != corpus_dir.resolve() or name in ("", ".", ".."):
        raise CorpusError(f"{name!r} would land outside the corpus folder {corpus_dir}")
    return target


def save_file(
    corpus_dir: Path, name: str, data: bytes, *, overwrite: bool = False, max_bytes: int | None = None
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
    if (target.exists() or target.is_symlink()) and not overwrite:
        raise CorpusError(f"{safe} already exists in the corpus; replace it explicitly to overwrite it")
    check_file(name, data, max_bytes=max_bytes)
    corpus_dir.mkdir(parents=True, exist_ok=True)
    # a new file of our own (O_EXCL): never written through a link someone left in the folder
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{safe}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)  # replaces a link of that name itself, never its target
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def _decode_page(fetched: Fetched) -> str:
    try:
        return fetched.body.decode(fetched.charset or "utf-8", errors="replace")
    except (LookupError, UnicodeError, ValueError, TypeError):
        # an unknown or non-text charset (rot13, base64, idna): read it as UTF-8, replacing what does not fit
        return fetched.body.decode("utf-8", errors="replace")


def page_file_name(title: str, url: str) -> str:
    """Return a safe Markdown file name for a fetched page: from its title, else from its address."""
    parts = urllib.parse.urlsplit(url)
    base = title or (parts.netloc + parts.path).rstrip("/") or parts.netloc
    slug = _UNSAFE.sub("-", unicodedata.normalize("NFKC", base)).strip("-._")[:80].strip("-._")
    return safe_name((slug or "halaman") + ".md")


def fetch_page(url: str, *, allowed_hosts: Sequence[str] = (), max_bytes: int | None = None) -> tuple[str, bytes]:
    """Fetch a web page safely (see :mod:`egov_qa.fetch`) and extract its main text as Markdown.

    Returns:
        A file name from the page's title, and the file's bytes (title, url, date, site in the
        front matter; the main text below).

    Raises:
        CorpusError: the address is refused, the fetch failed, the page is too large, or no
            main text could be extracted from it.
    """
    url = url.strip()
    fetched = fetch(url, allowed_hosts=allowed_hosts, max_bytes=max_bytes or MAX_UPLOAD_BYTES)
    doc = html_document("page", _decode_page(fetched), url=url)
    host = urllib.parse.urlsplit(url).netloc
    front = {"title": doc.title or host, "url": url}
    front.update({k: str(v) for k in ("date", "sitename", "author") if (v := doc.metadata.get(k))})
    front.setdefault("source", str(doc.metadata.get("sitename") or host))
    body = "---\n" + yaml.safe_dump(front, allow_unicode=True, sort_keys=False) + "---\n" + doc.text + "\n"
    return page_file_name(doc.title, url), body.encode("utf-8")


def _inside(corpus_dir: Path, rel: str) -> Path:
    """Return ``corpus_dir / rel`` without following a link at its end; refuse paths that leave the folder."""
    root = corpus_dir.resolve()
    target = Path(os.path.normpath(root / rel))
    parent = target.parent.resolve()  # a linked folder on the way must not lead out either
    if root not in target.parents or not (parent == root or root in parent.parents):
        raise CorpusError(f"{rel!r} is not a file of the corpus folder {corpus_dir}")
    return target


def remove_file(corpus_dir: Path, doc_id: str) -> Path:
    """Delete the corpus file of a document; a symbolic link is removed itself, never its target.

    Raises:
        CorpusError: the document is one line of a JSONL file (remove the file, or edit it),
            or its file is not inside ``corpus_dir`` or does not exist.
    """
    rel, _, line_id = doc_id.partition("#")
    if line_id:
        raise CorpusError(
            f"{doc_id!r} is one line of the JSON Lines file {rel}: delete that line from the file and update "
            f"the index, or remove {rel!r} to delete every document in it"
        )
    target = _inside(corpus_dir, rel)
    if not (target.is_symlink() or target.is_file()):
        raise CorpusError(f"No file {rel} in the corpus folder {corpus_dir}")
    target.unlink()
    return target


def file_with_url(corpus_dir: Path, url: str) -> Path | None:
    """Return the Markdown file of the corpus that was fetched from ``url``, if there is one."""
    if not corpus_dir.is_dir():
        return None
    for path in sorted(corpus_dir.glob("*.md")):
        if path.is_symlink() or not path.is_file():
            continue
        with path.open("rb") as fh:
            head = fh.read(4096).decode("utf-8", errors="replace")
        if any(line.strip() == f"url: {url}" or line.strip() == f"url: '{url}'" for line in head.splitlines()[:20]):
            return path
    return None


def unique_name(corpus_dir: Path, name: str) -> str:
    """Return ``name``, or ``stem-2.ext``, ``stem-3.ext``… when a file of that name exists."""
    stem, dot, suffix = name.rpartition(".")
    candidate, n = name, 1
    while (corpus_dir / candidate).exists() or (corpus_dir / candidate).is_symlink():
        n += 1
        candidate = f"{stem}-{n}{dot}{suffix}"
    return candidate


Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class CorpusReport:
    """What a corpus operation did: files saved (new or replaced), removed, refused, and the index update.

    ``ingest`` is None when the index was not updated (nothing changed, or ``update=False``).
    """

    saved: tuple[str, ...] = ()
    replaced: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    refused: tuple[Skipped, ...] = ()
    ingest: IngestReport | None = None


class Corpus:
    """A corpus folder and the index built from it: add files or web pages, remove documents, update.

    Each operation saves or deletes files first, then (``update=True``, the default) updates the
    index incrementally; pass an already loaded ``embedder`` to skip loading the model again.
    """

    def __init__(self, settings: Settings | None = None, *, embedder: Embedder | None = None) -> None:
        """Work on ``settings.corpus_dir`` and ``settings.index_dir`` (default: from the environment)."""
        self.settings = settings or Settings.from_env()
        self.embedder = embedder

    @property
    def folder(self) -> Path:
        """The corpus folder."""
        return self.settings.corpus_dir

    def update(self, *, full: bool = False, progress: Progress | None = None) -> IngestReport:
        """Update the index from the folder (see :func:`~egov_qa.build_index`)."""
        s = self.settings
        # a full rebuild loads the model afresh, on the default engine, as `egov-qa ingest --full` does
        embedder = None if full else self.embedder
        return build_index(
            s.corpus_dir, s.index_dir, model=s.model, full=full, settings=s, progress=progress, embedder=embedder
        )

    def _save(self, name: str, data: bytes, overwrite: bool) -> tuple[str, bool]:
        """Save one file by the one overwrite rule; return its name and whether it replaced one."""
        path = self.folder / safe_name(name)
        existed = path.exists() or path.is_symlink()
        return save_file(self.folder, name, data, overwrite=overwrite).name, existed

    def add_file(
        self, name: str, data: bytes, *, overwrite: bool = False, update: bool = True, progress: Progress | None = None
    ) -> CorpusReport:
        """Check and save one file's bytes under a safe version of ``name``, then update the index.

        Raises:
            CorpusError: the file is refused (with the reason), or a file of that name exists
                and ``overwrite`` is False.
        """
        saved, existed = self._save(name, data, overwrite)
        return self._report((saved,), (saved,) if existed else (), (), (), update, progress)

    def add_files(
        self,
        files: Sequence[tuple[str, bytes]],
        *,
        overwrite: bool = False,
        update: bool = True,
        progress: Progress | None = None,
    ) -> CorpusReport:
        """Save several (name, bytes) files; a refused file is reported, not raised. One index update at the end."""
        saved: list[str] = []
        replaced: list[str] = []
        refused: list[Skipped] = []
        for name, data in files:
            try:
                name_saved, existed = self._save(name, data, overwrite)
            except CorpusError as exc:
                refused.append(Skipped(name, str(exc)))
                continue
            saved.append(name_saved)
            if existed:
                replaced.append(name_saved)
        return self._report(tuple(saved), tuple(replaced), (), tuple(refused), update and bool(saved), progress)

    def add_url(
        self, url: str, *, overwrite: bool = False, update: bool = True, progress: Progress | None = None
    ) -> CorpusReport:
        """Fetch a web page, save its main text as Markdown with front matter, then update the index.

        The file is named after the page's title, with a number added when that name is taken
        by another document. A page fetched before (the same URL) is fetched again only with
        ``overwrite=True``, and then replaces its own file.

        Raises:
            CorpusError: the URL is refused or cannot be fetched, no text was found, or the page
                was saved before and ``overwrite`` is False.
        """
        url = url.strip()
        earlier = file_with_url(self.folder, url)
        if earlier is not None and not overwrite:
            raise CorpusError(f"{url} is already in the corpus as {earlier.name}; fetch it again with overwrite")
        name, data = fetch_page(url, allowed_hosts=self.settings.allowed_hosts)
        name = earlier.name if earlier is not None else unique_name(self.folder, name)
        return self.add_file(name, data, overwrite=earlier is not None, update=update, progress=progress)

    def remove(self, doc_id: str, *, update: bool = True, progress: Progress | None = None) -> CorpusReport:
        """Delete the file a document came from (a JSONL file goes whole), then update the index.

        Raises:
            CorpusError: no such file in the corpus folder.
        """
        removed = remove_file(self.folder, doc_id)
        return self._report((), (), (str(removed.relative_to(self.folder.resolve())),), (), update, progress)

    def _report(
        self,
        saved: tuple[str, ...],
        replaced: tuple[str, ...],
        removed: tuple[str, ...],
        refused: tuple[Skipped, ...],
        update: bool,
        progress: Progress | None,
    ) -> CorpusReport:
        ingest = self.update(progress=progress) if update else None
        return CorpusReport(saved=saved, replaced=replaced, removed=removed, refused=refused, ingest=ingest)
