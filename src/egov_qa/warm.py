"""Loading ahead: a server loads its model and index while it starts, and shares one model per process."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from egov_qa.api import Index, load_index
from egov_qa.config import Settings
from egov_qa.embedding import Embedder, load_embedder
from egov_qa.errors import EgovQAError
from egov_qa.manifest import Manifest

logger = logging.getLogger(__name__)

_guard = threading.Lock()
_loading: dict[tuple[str, str | None, str], threading.Lock] = {}
_embedders: dict[tuple[str, str | None, str], Embedder] = {}
_warm: dict[tuple[str, int], Index] = {}
_threads: list[threading.Thread] = []


def shared_embedder(name: str, *, backend: str | None, settings: Settings) -> Embedder:
    """Return the process's one loaded copy of a model, loading it on first use (thread-safe)."""
    key = (name, backend, str(settings.models_dir))
    with _guard:
        lock = _loading.setdefault(key, threading.Lock())
    with lock:  # a second caller waits for the first one's load instead of loading again
        if key not in _embedders:
            _embedders[key] = load_embedder(name, backend=backend, settings=settings)
        return _embedders[key]


def open_shared(settings: Settings) -> Index:
    """Open the index at ``settings.index_dir`` with its own model, sharing the process's loaded copy.

    The model runs on the index's own engine unless ``settings.backend`` names one, as for the
    app, whose every rebuilt generation is opened this way.

    Raises:
        IndexNotFoundError, IndexMismatchError, IndexCorruptError, ModelError: as :func:`~egov_qa.load_index`.
    """
    manifest = Manifest.read(settings.index_dir)
    backend = settings.backend or manifest.model.engine
    embedder = shared_embedder(manifest.model.name, backend=backend, settings=settings)
    return load_index(settings.index_dir, settings=settings, embedder=embedder)


def warm_up(settings: Settings | None = None) -> threading.Thread:
    """Start loading the index at ``settings.index_dir`` and its model in a background thread.

    A server calls this as it starts, so that its first visitor does not wait for the model;
    :func:`warm_index` hands the loaded index over. A missing or damaged index is left for the
    first visitor's own load to report.
    """
    settings = settings or Settings.from_env()
    thread = threading.Thread(target=_load, args=(settings,), name="egov-qa-warm-up", daemon=True)
    with _guard:
        _threads.append(thread)
    thread.start()
    return thread


def warm_index(index_dir: str | Path, generation: int) -> Index | None:
    """Return the index a warm-up loaded for this folder and generation (waiting for it), else None."""
    with _guard:
        running = list(_threads)
    for thread in running:
        thread.join()
    folder = str(Path(index_dir))
    with _guard:
        _threads[:] = [t for t in _threads if t not in running]
        found = _warm.pop((folder, generation), None)
        stale = [key for key in _warm if key[0] == folder]  # loaded, then rebuilt before anyone asked
        for key in stale:
            _warm.pop(key).close()
        return found


def _load(settings: Settings) -> None:
    try:
        index = open_shared(settings)  # as the app opens it
        index.ask("Apa itu pelayanan publik?")  # pages in the files and loads what a first answer needs
    except Exception as exc:  # noqa: BLE001 - a background thread: the first visitor's own load reports it
        level = logging.INFO if isinstance(exc, EgovQAError) else logging.WARNING
        logger.log(level, "Nothing loaded ahead from %s: %s", settings.index_dir, exc)
        return
    with _guard:
        _warm[(str(Path(settings.index_dir)), index.manifest.generation)] = index
    logger.info("Loaded %s ahead (generation %d)", settings.index_dir, index.manifest.generation)
