"""Fetching a web page for the corpus without reaching anything it should not.

A URL typed into the app or given to ``egov-qa add`` is fetched by the server, so it must not
become a way into the server's own network: only http(s) is fetched, every address a host name
resolves to must be a public one (loopback, private, link-local, multicast, reserved and shared
addresses are refused) unless the host is listed in ``EGOV_QA_ALLOWED_HOSTS``, the connection
goes to the address that was checked (no second lookup), and each redirect hop is checked the
same way. A fetch has a total deadline and a size cap, and a body cut short is refused.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from egov_qa.errors import CorpusError

FETCH_DEADLINE = 30.0
READ_TIMEOUT = 10.0
MAX_REDIRECTS = 5
_REDIRECTS = (301, 302, 303, 307, 308)
_CHUNK = 65536


@dataclass(frozen=True, slots=True)
class Fetched:
    """A fetched page: the URL it came from after redirects, its bytes and its declared charset."""

    url: str
    body: bytes
    content_type: str
    charset: str | None


def _refused(url: str, why: str) -> CorpusError:
    return CorpusError(f"Refused to fetch {url}: {why}")


def _check_address(url: str, host: str, ip_text: str) -> None:
    ip = ipaddress.ip_address(ip_text.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if not ip.is_global or ip.is_multicast:
        raise _refused(
            url,
            f"{host} is {ip}, an address inside this machine or its network (loopback, private, link-local, "
            "multicast or reserved). A server on an intranet must be listed in EGOV_QA_ALLOWED_HOSTS.",
        )


def resolve(url: str, host: str, port: int, allowed_hosts: Sequence[str]) -> list[str]:
    """Return the addresses to connect to for ``host``, after checking every one it resolves to.

    Raises:
        CorpusError: the name does not resolve, or one of its addresses is not a public one and
            the host is not in ``allowed_hosts``.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise CorpusError(f"Could not fetch {url}: the host name {host} could not be resolved ({exc})") from exc
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise CorpusError(f"Could not fetch {url}: the host name {host} has no address")
    if host.lower().rstrip(".") not in {h.lower().rstrip(".") for h in allowed_hosts}:
        for address in addresses:
            _check_address(url, host, address)
    return list(dict.fromkeys(addresses))


def _split(url: str) -> tuple[urllib.parse.SplitResult, str, int]:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise _refused(url, f"only http and https addresses are fetched, not {parts.scheme or 'a bare name'}")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise _refused(url, f"the port is not a number ({exc})") from exc
    if not parts.hostname:
        raise _refused(url, "no host name")
    return parts, parts.hostname, port


def _connection(parts: urllib.parse.SplitResult, host: str, port: int, ips: list[str], timeout: float) -> Any:
    cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    conn: Any = cls(host, port, timeout=timeout)

    def connect_checked(_address: tuple[str, int], timeout: float, source: object = None) -> socket.socket:
        """Connect to the checked addresses in turn: never a second lookup of the name."""
        error: OSError = OSError(f"no address of {host} answered")
        for ip in ips:
            try:
                return socket.create_connection((ip, port), timeout)
            except TimeoutError:
                raise
            except OSError as exc:
                error = exc
        raise error

    conn._create_connection = connect_checked  # noqa: SLF001 - http.client's seam for opening the socket
    return conn


def _read_body(
    url: str, response: http.client.HTTPResponse, sock: socket.socket, deadline: float, max_bytes: int
) -> bytes:
    """Read the body one socket read at a time, so that the deadline holds however slowly it drips."""
    body = bytearray()
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise CorpusError(f"Could not fetch {url}: the page did not arrive within the time limit")
        sock.settimeout(min(remaining, READ_TIMEOUT))
        try:
            piece = response.read1(_CHUNK)
        except http.client.IncompleteRead as exc:
            raise CorpusError(f"Could not fetch {url}: the connection closed before the page was complete") from exc
        if not piece:
            break
        body += piece
        if len(body) > max_bytes:
            raise CorpusError(f"Could not fetch {url}: the page is over the {max_bytes / 2**20:.0f} MB limit")
    if response.length:  # Content-Length promised more than arrived
        raise CorpusError(f"Could not fetch {url}: the connection closed before the page was complete")
    return bytes(body)


def _get(url: str, allowed_hosts: Sequence[str], deadline: float, max_bytes: int) -> Fetched | str:
    """Fetch one hop: the page, or the next URL when the answer is a redirect."""
    parts, host, port = _split(url)
    ips = resolve(url, host, port, allowed_hosts)
    conn = _connection(parts, host, port, ips, min(READ_TIMEOUT, max(0.1, deadline - time.monotonic())))
    try:
        path = urllib.parse.urlunsplit(("", "", parts.path or "/", parts.query, ""))
        conn.request("GET", path, headers={"User-Agent": "egov-qa", "Accept": "text/html,text/plain;q=0.9,*/*;q=0.5"})
        sock = conn.sock  # kept: the connection drops its reference when the server says it will close
        response = conn.getresponse()
        location = response.getheader("Location")
        if response.status in _REDIRECTS and location:
            return str(urllib.parse.urljoin(url, location.strip()))
        if response.status != 200:
            raise CorpusError(f"Could not fetch {url}: the server answered HTTP {response.status} {response.reason}")
        body = _read_body(url, response, sock, deadline, max_bytes)
        return Fetched(url, body, response.headers.get_content_type(), response.headers.get_content_charset())
    finally:
        conn.close()


def fetch(
    url: str, *, allowed_hosts: Sequence[str] = (), deadline: float = FETCH_DEADLINE, max_bytes: int = 20 * 2**20
) -> Fetched:
    """Fetch ``url`` (following up to five checked redirects) within ``deadline`` seconds in all.

    Raises:
        CorpusError: the URL or a redirect is refused (see the module), or the fetch failed:
            every network failure is reported in words.
    """
    url = url.strip()
    ends = time.monotonic() + deadline
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        try:
            got = _get(current, allowed_hosts, ends, max_bytes)
        except TimeoutError as exc:
            raise CorpusError(f"Could not fetch {current}: no answer within the time limit") from exc
        except ssl.SSLError as exc:
            raise CorpusError(f"Could not fetch {current}: the secure connection failed ({exc.reason})") from exc
        except http.client.HTTPException as exc:
            raise CorpusError(f"Could not fetch {current}: the server did not answer with HTTP ({exc!r})") from exc
        except OSError as exc:
            raise CorpusError(f"Could not fetch {current}: the connection failed ({exc.strerror or exc})") from exc
        if isinstance(got, Fetched):
            return got
        current = got
    raise CorpusError(f"Could not fetch {url}: more than {MAX_REDIRECTS} redirects")
