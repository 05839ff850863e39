"""egov-qa serve and the corpus page's protection: read-only on a network without a password, offline always."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from streamlit.testing.v1 import AppTest

from egov_qa import Index, Settings, check_admin_password, management_access
from egov_qa.cli import main

from .conftest import ROOT, free_port, raw_server

APP = str(ROOT / "app.py")


def corpus_page(index: Index) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30).run()
    return at.sidebar.radio(key="page").set_value("corpus").run()


def test_who_may_manage_the_corpus() -> None:
    assert management_access(Settings(), "localhost") == "open"
    assert management_access(Settings(), "127.0.0.1") == "open" and management_access(Settings(), "::1") == "open"
    assert management_access(Settings(), "0.0.0.0") == "closed" and management_access(Settings(), None) == "closed"
    assert management_access(Settings(), "192.168.1.20") == "closed"
    with_password = Settings(admin_password="kunci-rahasia")
    assert management_access(with_password, "localhost") == "password"
    assert check_admin_password(with_password, "kunci-rahasia") and not check_admin_password(with_password, "salah")
    assert not check_admin_password(Settings(), "")
    assert "kunci-rahasia" not in repr(with_password)


def test_on_a_network_without_a_password_the_corpus_page_is_read_only(
    fake_index: Index, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EGOV_QA_SERVER_ADDRESS", "0.0.0.0")
    at = corpus_page(fake_index)
    assert not at.exception
    assert any("hanya dapat dibaca" in i.value for i in at.info)
    assert not at.get("file_uploader") and not any(b.label.startswith(("Hapus", "Bangun")) for b in at.button)
    assert len(at.text_input) == 0  # no URL box either


def test_with_a_password_the_page_asks_for_it(fake_index: Index, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EGOV_QA_SERVER_ADDRESS", "0.0.0.0")
    monkeypatch.setenv("EGOV_QA_ADMIN_PASSWORD", "kunci-rahasia")
    at = corpus_page(fake_index)
    assert not at.get("file_uploader")
    at.text_input[0].input("tebakan")
    at.form_submit_button[0].click().run()
    assert any("Kata sandi salah" in e.value for e in at.error) and not at.get("file_uploader")
    at.text_input[0].input("kunci-rahasia")
    at.form_submit_button[0].click().run()
    assert not at.exception and at.get("file_uploader")
    assert any(b.label.startswith("Hapus") for b in at.button)


def test_on_this_machine_only_the_page_is_open_and_says_so(fake_index: Index) -> None:
    at = corpus_page(fake_index)
    assert at.get("file_uploader") and any("tanpa kata sandi" in c.value for c in at.caption)


def test_serve_passes_the_settings_and_turns_outside_contact_off(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[list[str], dict[str, str]]] = []
    monkeypatch.setattr(os, "execve", lambda path, command, env: calls.append((command, env)))
    result = CliRunner().invoke(main, ["serve", "--host", "0.0.0.0", "--port", "8999"])
    assert result.exit_code == 0 and "read-only" in result.output
    command, env = calls[0]
    assert command[1] == "-c" and "_external_ip" in command[2] and "egov_qa.warm_up()" in command[2]
    assert command[command.index("--browser.gatherUsageStats") + 1] == "false"
    assert env["EGOV_QA_SERVER_ADDRESS"] == "0.0.0.0" and "EGOV_QA_ADMIN_PASSWORD" not in env
    result = CliRunner().invoke(main, ["serve", "--host", "0.0.0.0", "--admin-password", "kunci"])
    assert "needs the admin password" in result.output and calls[1][1]["EGOV_QA_ADMIN_PASSWORD"] == "kunci"


def test_a_served_app_looks_up_nothing_outside(tmp_path: Path) -> None:
    """Streamlit asks a third-party service for the external address when served on every interface;
    a proxy on loopback stands in for the internet and must receive nothing."""
    contacts: list[bytes] = []

    def record(conn: socket.socket) -> None:
        conn.settimeout(1)
        contacts.append(conn.recv(200))

    with raw_server(record) as (proxy_port, connections):
        output, port = _serve_everywhere(tmp_path, f"http://127.0.0.1:{proxy_port}")
    assert "URL" in output, output
    assert connections == [0] and contacts == [] and "External URL" not in output
    with pytest.raises(OSError):  # stopping egov-qa serve stopped the server: nothing is left listening
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def _serve_everywhere(tmp_path: Path, proxy_url: str) -> tuple[str, int]:
    """Run egov-qa serve on every interface behind ``proxy_url``; return what it printed by its banner, and its port."""
    env = {**os.environ, "http_proxy": proxy_url, "https_proxy": proxy_url, "HTTP_PROXY": proxy_url,
           "HTTPS_PROXY": proxy_url, "NO_PROXY": "", "no_proxy": ""}  # fmt: skip
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "egov_qa", "serve", "--host", "0.0.0.0", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path,
    )  # fmt: skip
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and server.stdout is not None:
            line = server.stdout.readline()
            lines.append(line)
            if "Network URL" in line or "Local URL" in line or not line:
                break
        time.sleep(3)  # the lookup, when made, follows the banner's first lines
    finally:
        server.terminate()
        server.wait(timeout=20)
    return "".join(lines), port


def test_a_request_that_does_not_name_this_machine_does_not_get_open_management() -> None:
    local = Settings()
    for host in ("localhost:8501", "127.0.0.1:8501", "[::1]:8501", "localhost"):
        assert management_access(local, "localhost", request_host=host) == "open", host
    for host in ("evil.example:8501", "evil.example", "192.168.1.5:8501", "[2001:db8::1]:8501"):
        assert management_access(local, "localhost", request_host=host) == "closed", host  # DNS rebinding
    assert management_access(local, "localhost", request_host="localhost:8501", forwarded=True) == "closed"
    assert management_access(Settings(admin_password="k"), "localhost", request_host="evil.example") == "password"


def test_a_warm_up_loads_the_index_ahead_and_hands_it_over_once(corpus: Path, fake_settings: Settings) -> None:
    from egov_qa import build_index, shared_embedder, warm_index, warm_up

    build_index(corpus, fake_settings.index_dir, settings=fake_settings)
    warm_up(fake_settings).join(timeout=60)
    index = warm_index(fake_settings.index_dir, 1)
    assert index is not None and index.manifest.generation == 1 and index.manifest.documents == 5
    assert index.embedder is shared_embedder("fake", backend=None, settings=fake_settings)
    assert warm_index(fake_settings.index_dir, 1) is None  # handed over once; the app caches it
    assert warm_index(fake_settings.index_dir, 2) is None


def test_a_warm_up_with_no_index_leaves_the_error_to_the_first_visitor(
    fake_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    from egov_qa import warm_index, warm_up

    with caplog.at_level("INFO", logger="egov_qa.warm"):
        thread = warm_up(fake_settings)
        thread.join(timeout=60)
    assert not thread.is_alive() and warm_index(fake_settings.index_dir, 1) is None
    assert "Nothing loaded ahead" in caplog.text and "No index" in caplog.text


def test_an_index_rebuilt_before_anyone_asked_is_not_kept_loaded(corpus: Path, fake_settings: Settings) -> None:
    from egov_qa import build_index, warm_index, warm_up

    build_index(corpus, fake_settings.index_dir, settings=fake_settings)
    warm_up(fake_settings).join(timeout=60)
    build_index(corpus, fake_settings.index_dir, settings=fake_settings, full=True)  # generation 2
    warm_up(fake_settings).join(timeout=60)
    index = warm_index(fake_settings.index_dir, 2)
    assert index is not None and index.manifest.generation == 2
    assert warm_index(fake_settings.index_dir, 1) is None  # generation 1 was dropped with the handover


def test_one_model_is_loaded_once_per_process_however_many_ask(fake_settings: Settings) -> None:
    import threading

    from egov_qa import register_embedder, shared_embedder
    from egov_qa.embedding import FakeEmbedder

    loads: list[int] = []

    def slow_fake() -> FakeEmbedder:
        loads.append(1)
        time.sleep(0.2)
        return FakeEmbedder()

    register_embedder("slow-shared", slow_fake)
    try:
        got: list[object] = []
        threads = [
            threading.Thread(
                target=lambda: got.append(shared_embedder("slow-shared", backend=None, settings=fake_settings))
            )
            for _ in range(4)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(loads) == 1 and len(got) == 4 and all(g is got[0] for g in got)
    finally:
        register_embedder("slow-shared", None)
