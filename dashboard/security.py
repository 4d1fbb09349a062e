"""What a browser may do with the dashboard: a WSGI middleware around the Flask app.

The dashboard serves every log under its root to whoever can send it a request,
so it answers only requests meant for it (as Jupyter does):

- **Host**: only the names the server was started for: the loopback names
  (``localhost``, ``127.0.0.1`` and any loopback address, ``[::1]``) and the
  ``--host`` value; for a wildcard bind (``0.0.0.0``, ``::``) also this
  machine's own names and any IP address. Any other ``Host`` gets 403: a web
  page whose DNS name was rebound to 127.0.0.1 can reach the port, but it
  sends its own name. The port is not checked, so ``ssh -L 9000:localhost:8050``
  works; a rebinding page cannot choose the name it sends.
- **Origin**: a request that changes or reads data through a POST (every Dash
  callback) must come from the page itself: an ``Origin`` that is not the
  request's own host, or a ``Sec-Fetch-Site`` of another site, gets 403.
- **Headers** on every answer: a Content-Security-Policy that allows nothing
  from another origin (see :func:`content_security_policy`), no framing, no
  MIME sniffing, no referrer.

``protect(app, bind_host)`` wraps a Dash app the way ``curvedoc serve`` runs it;
:class:`Guard` takes any WSGI app and a :class:`HostPolicy`, for tests.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]

#: Names of this machine's loopback interface that a browser sends as ``Host``.
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})

#: Binds that listen on every interface.
WILDCARD_HOSTS = frozenset({"0.0.0.0", "::", ""})

#: Methods that only read; every other one is checked for its Origin.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

#: Sec-Fetch-Site values of a request the page itself made (or the user typed).
OWN_FETCH_SITES = frozenset({"same-origin", "none"})

#: Headers every answer carries (the CSP is added beside them).
FIXED_HEADERS = (
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)


def content_security_policy(script_hashes: Sequence[str] = ()) -> str:
    """The strictest policy under which every page works in Chromium (checked by
    tests/dashboard/test_security_browser.py, which fails on any violation).

    Nothing loads from another origin; no plugin, no <base>, no framing. Scripts: our
    own files plus the inline scripts Dash writes into the page, by their hash.
    ``'unsafe-eval'`` only because Plotly's WebGL traces (charts of many points)
    compile their shaders' code with ``new Function`` (regl). ``style-src
    'unsafe-inline'`` because React, Plotly and AG Grid set style attributes and
    write ``<style>`` elements at run time (styles cannot run code). Images may be
    ``data:`` URLs (the icons in Bootstrap's CSS and Plotly's markers).
    """
    scripts = " ".join(("'self'", *script_hashes, "'unsafe-eval'"))
    return "; ".join((
        "default-src 'self'",
        f"script-src {scripts}",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ))


def _bare(host: str) -> str:
    """A host name or address as compared: lower case, IPv6 without brackets."""
    host = host.strip().lower()
    return host[1:-1] if host.startswith("[") and host.endswith("]") else host


def _ip(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(name)
    except ValueError:
        return None


@dataclass(frozen=True)
class HostPolicy:
    """Which ``Host`` names the server answers.

    ``names``: host names or addresses (lower case, IPv6 without brackets);
    ``any_ip``: also every IP address (a wildcard bind, reached by address from
    the network); loopback addresses are always allowed.
    """

    names: frozenset[str]
    any_ip: bool = False

    @classmethod
    def for_bind(cls, bind_host: str) -> HostPolicy:
        """The policy of a server started with ``--host bind_host``."""
        host = _bare(bind_host)
        names = set(LOOPBACK_NAMES)
        if host in WILDCARD_HOSTS:
            names.update(_machine_names())
            return cls(frozenset(names), any_ip=True)
        names.add(host)
        return cls(frozenset(names))

    def allows(self, host_header: str | None) -> bool:
        """Whether a request with this ``Host`` header is meant for this server."""
        name = host_name(host_header)
        if name is None:
            return False
        if name in self.names:
            return True
        ip = _ip(name)
        return ip is not None and (self.any_ip or ip.is_loopback)


def _machine_names() -> set[str]:
    """This machine's own names (for a wildcard bind reached from the network)."""
    names = set()
    for get in (socket.gethostname, socket.getfqdn):
        try:
            names.add(get().lower())
        except OSError:
            continue
    return names - {""}


def host_name(host_header: str | None) -> str | None:
    """The name part of a ``Host`` header ("[::1]:8050" -> "::1"); None when malformed."""
    if not host_header or len(host_header) > 300:
        return None
    try:
        parts = urlsplit("//" + host_header.strip())
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number)
    except ValueError:
        return None
    if parts.username is not None or parts.path or parts.query or parts.fragment:
        return None
    return parts.hostname or None


def same_origin(environ: dict) -> bool:
    """Whether a state-changing request comes from the page served by this host."""
    site = environ.get("HTTP_SEC_FETCH_SITE")
    if site is not None and site.lower() not in OWN_FETCH_SITES:
        return False
    origin = environ.get("HTTP_ORIGIN")
    if origin is None:  # not sent by a browser's cross-origin request: curl, a test
        return True
    try:
        parts = urlsplit(origin.strip())
    except ValueError:
        return False
    own = (environ.get("HTTP_HOST") or "").strip().lower()
    return parts.scheme in ("http", "https") and parts.netloc.lower() == own and bool(own)


class Guard:
    """WSGI middleware: refuse requests not meant for this server; add security headers.

    ``csp`` is the policy text, or a function that returns it (read per answer,
    as Dash adds inline scripts when it sets itself up on the first request).
    """

    def __init__(self, app: WSGIApp, hosts: HostPolicy, csp: str | Callable[[], str]) -> None:
        self.app = app
        self.hosts = hosts
        self._csp = csp

    def csp(self) -> str:
        return self._csp() if callable(self._csp) else self._csp

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        host = environ.get("HTTP_HOST")
        if not self.hosts.allows(host):
            shown = ", ".join(sorted(f"[{n}]" if ":" in n else n for n in self.hosts.names))
            return self._refuse(start_response, f"curvedoc answers requests for {shown} only; "
                                "open the address that `curvedoc serve` printed.")
        if environ.get("REQUEST_METHOD", "GET").upper() not in SAFE_METHODS and not same_origin(
                environ):
            return self._refuse(start_response, "curvedoc refuses requests sent by another "
                                "web site's page.")

        def start(status: str, response_headers: list, exc_info: Any = None) -> Any:
            headers = self._headers()  # now: the app may have added inline scripts meanwhile
            ours = {name.lower() for name, _ in headers}
            kept = [(k, v) for k, v in response_headers if k.lower() not in ours]
            return start_response(status, kept + headers, exc_info)

        return self.app(environ, start)

    def _headers(self) -> list[tuple[str, str]]:
        return [*FIXED_HEADERS, ("Content-Security-Policy", self.csp())]

    def _refuse(self, start_response: Callable, message: str) -> list[bytes]:
        body = (message + "\n").encode()
        start_response("403 Forbidden", [
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(body))),
            *self._headers(),
        ])
        return [body]


def protect(app: Any, bind_host: str) -> Guard:
    """The Dash ``app``'s server as ``curvedoc serve`` runs it on ``bind_host``."""
    return Guard(app.server, HostPolicy.for_bind(bind_host),
                 lambda: content_security_policy(app.csp_hashes()))
