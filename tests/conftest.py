"""Shared fixtures: every index and corpus path points at tmp_path; real data from ../shared/data."""

from __future__ import annotations

import http.server
import os
import shutil
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from egov_qa import Embedder, Index, Settings, build_index, load_index, register_embedder

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
SHARED = Path(os.environ.get("EGOV_QA_SHARED_DATA", ROOT.parent / "shared" / "data"))
# the seed article ships in the repository's corpus/ too: the corpus fixture is the same with or without ../shared
SEED = ROOT / "corpus" / "egov-indonesia-2024-11-19.txt"
MODELS_CACHE = Path(os.environ.get("EGOV_QA_TEST_MODELS_DIR", Path.home() / ".cache" / "egov-qa" / "models"))


def shared(*parts: str) -> Path:
    """Return a path under ../shared/data, skipping the test when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data not available: {path}")
    return path


@pytest.fixture(scope="session")
def e5_models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A models folder in which the default model and the answer reader are built once for this run (slow tests)."""
    from egov_qa.onnx_model import provision_onnx_model
    from egov_qa.reading import provision_reader

    folder = tmp_path_factory.mktemp("models")
    provision_onnx_model(folder)
    provision_reader(folder)
    return folder


@pytest.fixture(autouse=True)
def _isolated_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EGOV_QA_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("EGOV_QA_CORPUS_DIR", str(tmp_path / "corpus"))
    monkeypatch.setenv("EGOV_QA_MODELS_DIR", str(MODELS_CACHE))
    monkeypatch.delenv("EGOV_QA_MODEL", raising=False)
    monkeypatch.delenv("EGOV_QA_ALLOWED_HOSTS", raising=False)
    monkeypatch.delenv("EGOV_QA_ADMIN_PASSWORD", raising=False)
    monkeypatch.setenv("EGOV_QA_SERVER_ADDRESS", "localhost")  # as egov-qa serve's default


@pytest.fixture
def fake_settings(tmp_path: Path) -> Settings:
    return Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index", model="fake", models_dir=MODELS_CACHE)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A corpus folder with the seed article and the tiny fixtures written for the tests."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    shutil.copy(DATA / "spbe.md", folder / "spbe.md")
    shutil.copy(DATA / "oss.html", folder / "oss.html")
    shutil.copy(DATA / "adminduk.jsonl", folder / "adminduk.jsonl")
    shutil.copy(SEED, folder / SEED.name)
    return folder


@pytest.fixture
def fake_index(corpus: Path, fake_settings: Settings) -> Index:
    """The corpus fixture indexed with the fake embedder, loaded."""
    build_index(corpus, fake_settings.index_dir, settings=fake_settings)
    return load_index(fake_settings.index_dir, settings=fake_settings)


@pytest.fixture
def use_embedder(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Embedder], None]]:
    """Register an embedder under its name (the registry seam) and make it the settings' model."""
    names: list[str] = []

    def use(embedder: Embedder) -> None:
        register_embedder(embedder.name, lambda: embedder)
        monkeypatch.setenv("EGOV_QA_MODEL", embedder.name)
        names.append(embedder.name)

    yield use
    for name in names:
        register_embedder(name, None)


PAGE = """<!DOCTYPE html><html lang="id"><head><title>Mal Pelayanan Publik Digital</title>
<meta name="date" content="2024-06-01"></head><body><nav>Beranda | Berita</nav><article>
<h1>Mal Pelayanan Publik Digital</h1>
<p>Mal Pelayanan Publik Digital menyatukan layanan dari berbagai instansi dalam satu aplikasi sehingga warga
tidak perlu datang ke banyak kantor untuk mengurus dokumen.</p>
<p>Pemerintah daerah menyambungkan layanan perizinan, kependudukan, dan perpajakan ke platform tersebut.</p>
</article><footer>Hak cipta</footer></body></html>"""


@pytest.fixture
def local_site() -> Iterator[str]:
    """Serve a news page (and a 404) on 127.0.0.1 for the URL-fetching tests."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            found = self.path.split("?", 1)[0] == "/berita/mpp-digital"
            body = PAGE.encode() if found else b"not found"
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@contextmanager
def raw_server(handle: Callable[[socket.socket], None]) -> Iterator[tuple[int, list[int]]]:
    """A TCP server on 127.0.0.1 that runs ``handle`` per connection; yields its port and a connection count."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    count = [0]
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            count[0] += 1
            with conn:
                try:
                    handle(conn)
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], count
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
