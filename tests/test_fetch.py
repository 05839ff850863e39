"""Fetching pages: nothing inside this machine's network, every hop checked, limits, failures in words.

Every server here is started by the test on loopback; no other address ever receives traffic
(private and link-local literals are refused before any connection is made).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

import pytest

from egov_qa import CorpusError
from egov_qa.fetch import fetch
from egov_qa.manage import fetch_page

from .conftest import raw_server

PAGE = (
    b"<html><head><title>Layanan Publik</title></head><body><article><p>Pemerintah daerah membuka layanan "
    b"perizinan daring untuk warga dan pelaku usaha.</p></article></body></html>"
)


def _read_request(conn: socket.socket) -> None:
    conn.settimeout(5)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            return
        data += chunk


def answer(status: str, headers: dict[str, str], body: bytes = b"") -> Callable[[socket.socket], None]:
    def handle(conn: socket.socket) -> None:
        _read_request(conn)
        lines = [f"HTTP/1.1 {status}", *(f"{k}: {v}" for k, v in headers.items()), "Connection: close", "", ""]
        conn.sendall("\r\n".join(lines).encode() + body)

    return handle


PAGE_ANSWER = answer("200 OK", {"Content-Type": "text/html; charset=utf-8", "Content-Length": str(len(PAGE))}, PAGE)


def test_an_allowed_host_is_fetched() -> None:
    with raw_server(PAGE_ANSWER) as (port, count):
        got = fetch(f"http://127.0.0.1:{port}/halaman", allowed_hosts=["127.0.0.1"])
    assert got.body == PAGE and got.charset == "utf-8" and count[0] == 1


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::ffff:127.0.0.1]", "0.0.0.0"])
def test_loopback_is_refused_without_a_connection(host: str) -> None:
    with raw_server(PAGE_ANSWER) as (port, count):
        with pytest.raises(CorpusError, match="Refused to fetch .*EGOV_QA_ALLOWED_HOSTS"):
            fetch(f"http://{host}:{port}/")
    assert count[0] == 0


@pytest.mark.parametrize(
    "url",
    [
        "http://10.1.2.3/",
        "http://192.168.0.1/admin",
        "http://172.16.0.5/",
        "http://169.254.169.254/latest/meta-data/",
        "http://224.0.0.1/",
        "http://[fe80::1]/",
        "http://[fd00::1]/",
        "http://100.64.0.1/",
    ],
)
def test_internal_addresses_are_refused_before_any_connection(url: str) -> None:
    with pytest.raises(CorpusError, match="Refused to fetch"):
        fetch(url, deadline=2)


@pytest.mark.parametrize(
    "url", ["ftp://127.0.0.1/x", "file:///etc/passwd", "gopher://127.0.0.1/", "javascript:alert(1)"]
)
def test_other_schemes_are_refused(url: str) -> None:
    with pytest.raises(CorpusError, match="only http and https"):
        fetch(url, allowed_hosts=["127.0.0.1"])


def test_every_redirect_hop_is_checked() -> None:
    with raw_server(PAGE_ANSWER) as (inner, inner_count), raw_server(lambda c: None) as (ftp, ftp_count):
        to_loopback = answer("302 Found", {"Location": f"http://127.0.0.1:{inner}/rahasia"})
        to_ftp = answer("301 Moved", {"Location": f"ftp://localhost:{ftp}/berkas"})
        with raw_server(to_loopback) as (a, _), raw_server(to_ftp) as (b, _):
            # "localhost" is allowed (an intranet name); the address it redirects to is not
            with pytest.raises(CorpusError, match=r"Refused to fetch http://127\.0\.0\.1"):
                fetch(f"http://localhost:{a}/", allowed_hosts=["localhost"])
            with pytest.raises(CorpusError, match="only http and https"):
                fetch(f"http://localhost:{b}/", allowed_hosts=["localhost"])
    assert inner_count[0] == 0 and ftp_count[0] == 0


def test_a_redirect_to_an_allowed_page_is_followed_and_loops_end() -> None:
    with raw_server(PAGE_ANSWER) as (inner, _):
        hop = answer("302 Found", {"Location": f"http://127.0.0.1:{inner}/halaman"})
        with raw_server(hop) as (port, _):
            got = fetch(f"http://127.0.0.1:{port}/", allowed_hosts=["127.0.0.1"])
    assert got.body == PAGE and got.url.endswith("/halaman")
    with raw_server(answer("302 Found", {"Location": "/lagi"})) as (port, count):
        with pytest.raises(CorpusError, match="more than 5 redirects"):
            fetch(f"http://127.0.0.1:{port}/", allowed_hosts=["127.0.0.1"])
    assert count[0] == 6


def test_a_slow_drip_is_stopped_by_the_total_deadline() -> None:
    def drip(conn: socket.socket) -> None:
        _read_request(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n")
        for _ in range(60):
            conn.sendall(b"x")
            time.sleep(0.25)

    with raw_server(drip) as (port, _):
        started = time.monotonic()
        with pytest.raises(CorpusError, match="time limit"):
            fetch(f"http://127.0.0.1:{port}/", allowed_hosts=["127.0.0.1"], deadline=1.5)
        assert time.monotonic() - started < 4


def test_a_silent_server_times_out_in_words() -> None:
    def silent(conn: socket.socket) -> None:
        time.sleep(3)

    with raw_server(silent) as (port, _), pytest.raises(CorpusError, match="time limit"):
        fetch(f"http://127.0.0.1:{port}/", allowed_hosts=["127.0.0.1"], deadline=1)


@pytest.mark.parametrize(
    ("handle", "match"),
    [
        (answer("200 OK", {"Content-Length": "1000"}, b"<html>baru sebagian"), "closed before the page was complete"),
        (lambda c: c.sendall(b"SSH-2.0-OpenSSH_9.2\r\n"), "did not answer with HTTP"),
        (lambda c: None, "did not answer with HTTP|connection failed"),
        (answer("404 Not Found", {"Content-Length": "0"}), "HTTP 404"),
        (answer("200 OK", {"Content-Length": "3000"}, b"x" * 3000), "over the"),
    ],
    ids=["truncated", "not-http", "dropped", "404", "too-large"],
)
def test_network_failures_are_reported_in_words(handle: Callable[[socket.socket], None], match: str) -> None:
    with raw_server(handle) as (port, _), pytest.raises(CorpusError, match=match):
        fetch(f"http://127.0.0.1:{port}/", allowed_hosts=["127.0.0.1"], max_bytes=2048)


def test_an_unknown_charset_is_read_as_utf8() -> None:
    page = answer("200 OK", {"Content-Type": "text/html; charset=x-tidak-ada"}, PAGE)
    with raw_server(page) as (port, _):
        name, data = fetch_page(f"http://127.0.0.1:{port}/", allowed_hosts=["127.0.0.1"])
    assert name == "Layanan-Publik.md" and "layanan perizinan daring" in data.decode()


@pytest.mark.parametrize(
    "host",
    ["[::7f00:1]", "[::127.0.0.1]", "[64:ff9b::7f00:1]", "[64:ff9b::a00:1]", "[2002:7f00:1::]", "[2002:a00:1::]",
     "[::ffff:0:a9fe:a9fe]", "[::ffff:0:7f00:1]", "192.0.0.8", "[2001:0:4136:e378:8000:63bf:80ff:fffe]"],
)  # fmt: skip
def test_ipv4_carried_inside_ipv6_or_reserved_blocks_is_refused(host: str) -> None:
    with pytest.raises(CorpusError, match="Refused to fetch"):
        fetch(f"http://{host}/", deadline=2)


def _slowly(pieces: list[bytes], pause: float) -> Callable[[socket.socket], None]:
    def handle(conn: socket.socket) -> None:
        _read_request(conn)
        for piece in pieces:
            conn.sendall(piece)
            time.sleep(pause)

    return handle


@pytest.mark.parametrize(
    "pieces",
    [
        [b"HTTP/1.1 100 Continue\r\n\r\n"] * 40,  # an endless run of interim answers
        [b"H", b"T", b"T", b"P", b"/", b"1", b".", b"1", b" ", b"2", b"0", b"0"] * 4,  # a status line dripping
        [b"HTTP/1.1 200 OK\r\n"] + [b"X-Lambat: 1\r\n"] * 40,  # header lines dripping
        [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;"] + [b"x"] * 40,  # a chunk-size line dripping
    ],
    ids=["100-continue", "status-line", "headers", "chunk-size"],
)
def test_the_total_deadline_holds_while_headers_drip(pieces: list[bytes]) -> None:
    with raw_server(_slowly(pieces, 0.3)) as (port, _):
        started = time.monotonic()
        with pytest.raises(CorpusError, match="time limit"):
            fetch(f"http://127.0.0.1:{port}/", allowed_hosts=["127.0.0.1"], deadline=1.5)
        assert time.monotonic() - started < 3.5


@pytest.mark.parametrize("charset", ["rot13", "base64", "zlib_codec", "idna", "hex"])
def test_a_charset_that_is_not_a_text_encoding_is_read_as_utf8(charset: str) -> None:
    page = answer("200 OK", {"Content-Type": f"text/html; charset={charset}"}, PAGE)
    with raw_server(page) as (port, _):
        name, data = fetch_page(f"http://127.0.0.1:{port}/", allowed_hosts=["127.0.0.1"])
    assert "layanan perizinan daring" in data.decode()


def test_addresses_with_non_ascii_paths_are_requested_encoded() -> None:
    seen: list[bytes] = []

    def record(conn: socket.socket) -> None:
        conn.settimeout(5)
        seen.append(conn.recv(4096))
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n" + PAGE)

    with raw_server(record) as (port, _):
        fetch(f"http://127.0.0.1:{port}/berita/café?q=layanan publik", allowed_hosts=["127.0.0.1"])
    assert seen[0].startswith(b"GET /berita/caf%C3%A9?q=layanan%20publik HTTP/1.1")
