"""Fetch one file a form provider holds (a Typeform/Tally file-upload answer) from its URL.

The URL came in a webhook, so it is untrusted, and it is fetched from a background flow, never on the
webhook's request path. `fetch(url, hosts=...)` answers a `Fetched` or raises `FetchFailed`, whose
`reason` is one plain sentence for staff (no file name, no URL, no token) and whose `retry` says
whether trying again later could help.

- https only, to a host named in the allow-list (INVOLVE_RECEIPT_FETCH_HOSTS, exact names); no user
  name or password in the URL.
- Every address the host name resolves to must be a public one (no private, loopback, link-local,
  shared or reserved range), unless the allow-list names that address itself (an IP literal, e.g. a
  test server on 127.0.0.1). The connection goes to the address that was checked (the TLS certificate
  is still checked against the host name), so a second DNS answer cannot point it somewhere else.
- Redirects: at most 3, each to an allow-listed host and checked the same way; a bearer token goes
  only to the host the answer named, never to a host a redirect names.
- Timeouts: 5 s to connect, 10 s between bytes, 30 s for the whole file.
- Size: a Content-Length over the limit is refused unread; otherwise the body is read in chunks and
  the fetch stops as soon as it passes the limit (never more than the limit plus one chunk is read).

Trusted certificate authorities: the system's (certifi), or SSL_CERT_FILE / SSL_CERT_DIR when set
(e.g. a trust's proxy CA).
"""
from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import unquote

import httpx

MAX_REDIRECTS = 3
CONNECT_TIMEOUT, READ_TIMEOUT, TOTAL_SECONDS = 5.0, 10.0, 30.0
RETRY_STATUSES = frozenset({401, 403, 404, 408, 409, 425, 429})  # and every 5xx: may work later


class FetchFailed(Exception):
    """Why a file could not be fetched (for staff), and whether a later attempt might work."""

    def __init__(self, reason: str, *, retry: bool) -> None:
        super().__init__(reason)
        self.reason, self.retry = reason, retry


@dataclass(frozen=True)
class Fetched:
    name: str  # the file's name, from the URL's last path segment
    data: bytes
    host: str


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        ip = ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None
    return ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped else ip


def _public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return ip.is_global and not ip.is_multicast


def _check_url(url: httpx.URL, hosts: frozenset[str]) -> str:
    """The host of an acceptable URL (lower case), else FetchFailed."""
    if url.scheme != "https":
        raise FetchFailed("the file's address does not start with https://, so it was not fetched", retry=False)
    if url.userinfo:
        raise FetchFailed("the file's address carries a user name or password, so it was not fetched", retry=False)
    host = url.host.lower().rstrip(".")
    if host not in hosts:
        raise FetchFailed(f"{host} is not in INVOLVE_RECEIPT_FETCH_HOSTS, so the file was not fetched", retry=False)
    return host


def _address(host: str, port: int, hosts: frozenset[str]) -> str:
    """The address to connect to: the host itself when the allow-list names that address, else the
    first address its name resolves to, when every one of them is public."""
    literal = _ip(host)
    if literal is not None:
        if host.strip("[]") in hosts:
            return str(literal)
        raise FetchFailed(f"{host} is not in INVOLVE_RECEIPT_FETCH_HOSTS, so the file was not fetched", retry=False)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchFailed(f"{host} could not be found ({exc.__class__.__name__})", retry=True) from None
    found = [ip for ip in (_ip(str(info[4][0])) for info in infos) if ip is not None]
    if not found:
        raise FetchFailed(f"{host} could not be found", retry=True)
    private = [ip for ip in found if not _public(ip)]
    if private:
        raise FetchFailed(f"{host} points to a private address ({private[0]}), so the file was not fetched",
                          retry=False)
    return str(found[0])


def _name(url: httpx.URL) -> str:
    return unquote(url.path.rstrip("/").rsplit("/", 1)[-1]) or "receipt"


def fetch(url: str, *, hosts: frozenset[str], bearer: str | None = None, max_bytes: int,
          timeouts: tuple[float, float, float] = (CONNECT_TIMEOUT, READ_TIMEOUT, TOTAL_SECONDS)) -> Fetched:
    """GET `url` under the rules above; `bearer` is sent (Authorization: Bearer) to the URL's own host only."""
    connect, read, total = timeouts
    deadline = time.monotonic() + total
    try:
        current = httpx.URL(url.strip())
    except (httpx.InvalidURL, TypeError, ValueError):
        raise FetchFailed("the file's address is not a valid URL", retry=False) from None
    first_host = _check_url(current, hosts)
    name = _name(current)
    timeout = httpx.Timeout(read, connect=connect)
    with httpx.Client(timeout=timeout, follow_redirects=False) as client:
        for _hop in range(MAX_REDIRECTS + 1):
            host = _check_url(current, hosts)
            port = current.port or 443
            address = _address(host, port, hosts)
            headers = {"Host": host if current.port in (None, 443) else f"{host}:{port}",
                       "Accept": "image/*, application/pdf", "Accept-Encoding": "identity",
                       "User-Agent": "involve-receipts/1"}
            if bearer and host == first_host:
                headers["Authorization"] = f"Bearer {bearer}"
            target = current.copy_with(host=address)
            extensions = {"sni_hostname": host} if _ip(host) is None else {}
            try:
                with client.stream("GET", target, headers=headers, extensions=extensions) as response:
                    if response.is_redirect:
                        location = response.headers.get("location", "")
                        try:
                            current = current.join(location)
                        except (httpx.InvalidURL, ValueError):
                            raise FetchFailed(f"{host} answered with a redirect to an address that is not valid",
                                              retry=False) from None
                        if (current.host or "").lower().rstrip(".") not in hosts:
                            raise FetchFailed(f"{host} redirected to {current.host or 'another address'}, which is "
                                              "not in INVOLVE_RECEIPT_FETCH_HOSTS; the file was not fetched",
                                              retry=False)
                        continue
                    if response.status_code != 200:
                        code = response.status_code
                        hint = " (is INVOLVE_TYPEFORM_TOKEN set and allowed to read responses?)" \
                            if code in (401, 403) and first_host.endswith("typeform.com") else ""
                        raise FetchFailed(f"{host} answered {code} {response.reason_phrase}{hint}",
                                          retry=code in RETRY_STATUSES or code >= 500)
                    return Fetched(name, _read(response, max_bytes, deadline), first_host)
            except httpx.TimeoutException:
                raise FetchFailed(f"{host} did not answer in time", retry=True) from None
            except httpx.HTTPError as exc:
                raise FetchFailed(f"{host} could not be reached ({exc.__class__.__name__})", retry=True) from None
    raise FetchFailed(f"{first_host} redirected more than {MAX_REDIRECTS} times", retry=False)


def _read(response: httpx.Response, max_bytes: int, deadline: float) -> bytes:
    too_big = FetchFailed(f"the file is larger than {max_bytes // (1024 * 1024)} MB, so it was not kept",
                          retry=False)
    if response.headers.get("content-encoding", "identity").strip().lower() not in ("", "identity"):
        raise FetchFailed("the file came compressed although it was asked for as it is; it was not kept",
                          retry=False)  # decompressing it could take far more than the limit
    length = response.headers.get("content-length", "")
    if length.strip().isdigit() and int(length) > max_bytes:
        raise too_big
    chunks, seen = [], 0
    for chunk in response.iter_raw(64 * 1024):
        seen += len(chunk)
        if seen > max_bytes:
            raise too_big
        if time.monotonic() > deadline:
            raise FetchFailed("the file took too long to arrive", retry=True)
        chunks.append(chunk)
    return b"".join(chunks)
