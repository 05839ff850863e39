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
import threading
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


# IPv6 prefixes that carry an IPv4 address in their last 32 bits (NAT64, SIIT, IPv4-compatible)
_V4_IN_V6 = [ipaddress.ip_network(n) for n in ("64:ff9b::/96", "64:ff9b:1::/48", "::ffff:0:0:0/96", "::/96")]
# not public whatever Python's is_global says about them on this version
_DENIED = [ipaddress.ip_network(n) for n in ("192.0.0.0/24", "100.64.0.0/10", "0.0.0.0/8", "64:ff9b:1::/48")]


def _addresses_within(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> list[Any]:
    """Return ``ip`` and every IPv4 address it carries (mapped, 6to4, Teredo, NAT64, compatible forms)."""
    found: list[Any] = [ip]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            found.append(ip.ipv4_mapped)
        if ip.sixtofour is not None:
            found.append(ip.sixtofour)
        if ip.teredo is not None:
            found.extend(ip.teredo)
        if any(ip in net for net in _V4_IN_V6):
            found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def _public(ip: Any) -> bool:
    denied = any(ip in net for net in _DENIED if net.version == ip.version)
    return bool(ip.is_global) and not ip.is_multicast and not denied


def _check_address(url: str, host: str, ip_text: str) -> None:
    ip = ipaddress.ip_address(ip_text.split("%", 1)[0])
    if not all(_public(a) for a in _addresses_within(ip)):
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
            raise _cut_short(url, deadline) from exc
        if not piece:
            break
        body += piece
        if len(body) > max_bytes:
            raise CorpusError(f"Could not fetch {url}: the page is over the {max_bytes / 2**20:.0f} MB limit")
    if response.length:  # Content-Length promised more than arrived
        raise _cut_short(url, deadline)
    return bytes(body)


def _cut_short(url: str, deadline: float) -> CorpusError:
    if time.monotonic() >= deadline:  # the watchdog closed the connection
        return CorpusError(f"Could not fetch {url}: the page did not arrive within the time limit")
    return CorpusError(f"Could not fetch {url}: the connection closed before the page was complete")


class _Watchdog:
    """Shuts a socket down when the fetch's deadline passes, whatever read it is blocked in."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self.expired = False
        self._sock = sock
        self._timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        self.expired = True
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # already closed

    def cancel(self) -> None:
        self._timer.cancel()


def _request_target(parts: urllib.parse.SplitResult) -> str:
    """Return the path and query, percent-encoded where they hold characters HTTP cannot carry."""
    keep = "/%:@!$&'()*+,;=-._~?"
    return urllib.parse.quote(parts.path or "/", safe=keep) + (
        "?" + urllib.parse.quote(parts.query, safe=keep) if parts.query else ""
    )


def _get(url: str, allowed_hosts: Sequence[str], deadline: float, max_bytes: int) -> Fetched | str:
    """Fetch one hop: the page, or the next URL when the answer is a redirect."""
    parts, host, port = _split(url)
    ips = resolve(url, host, port, allowed_hosts)
    conn = _connection(parts, host, port, ips, min(READ_TIMEOUT, max(0.1, deadline - time.monotonic())))
    watchdog = None
    try:
        conn.connect()
        sock = conn.sock  # kept: the connection drops its reference when the server says it will close
        watchdog = _Watchdog(sock, deadline)
        accept = "text/html,text/plain;q=0.9,*/*;q=0.5"
        conn.request("GET", _request_target(parts), headers={"User-Agent": "egov-qa", "Accept": accept})
        response = conn.getresponse()
        location = response.getheader("Location")
        if response.status in _REDIRECTS and location:
            return str(urllib.parse.urljoin(url, location.strip()))
        if response.status != 200:
            raise CorpusError(f"Could not fetch {url}: the server answered HTTP {response.status} {response.reason}")
        body = _read_body(url, response, sock, deadline, max_bytes)
        return Fetched(url, body, response.headers.get_content_type(), response.headers.get_content_charset())
    except (OSError, http.client.HTTPException) as exc:
        if watchdog is not None and watchdog.expired:
            raise CorpusError(f"Could not fetch {url}: the page did not arrive within the time limit") from exc
        raise
    finally:
        if watchdog is not None:
            watchdog.cancel()
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
        except (UnicodeError, ValueError) as exc:
            raise CorpusError(f"Could not fetch {current}: the address cannot be requested ({exc})") from exc
        except OSError as exc:
            raise CorpusError(f"Could not fetch {current}: the connection failed ({exc.strerror or exc})") from exc
        if isinstance(got, Fetched):
            return got
        current = got
    raise CorpusError(f"Could not fetch {url}: more than {MAX_REDIRECTS} redirects")
