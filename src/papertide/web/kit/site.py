"""Where the links of a page, a feed or a mail point: the configured base URL, else where the request came.

With ``base_url`` unset, a request's links point at the scheme and ``Host`` it came with, so
``papertide serve --port 8765`` mails links to port 8765 and a site reached by its LAN name links
to that name. The ``Host`` header is the client's to write, though: a forged one would put another
site's address in a sign-in mail (whose token its owner then receives). So only hosts in
``trusted_hosts`` (and the host ``serve`` listens on) are used; a request to any other name still
gets its page, with links to the served address, and the log says once per name how to trust it.

:class:`SiteMiddleware` works out each request's address once; :meth:`SiteAddress.current` reads
it wherever a link is made (sign-in and digest mail, feeds, collection URLs), and outside a request
gives the served address.
"""

from __future__ import annotations

import logging
import re
from contextvars import ContextVar
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

from papertide.config import Settings

log = logging.getLogger("papertide.web")

# A Host header that is a host name or IP literal and an optional port: nothing a URL could read as more.
_HOST_HEADER = re.compile(r"(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(?P<port>[0-9]{1,5}))?")
_WILDCARD_ADDRESSES = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}
_MAX_WARNED_HOSTS = 100  # untrusted names each warned about once; a flood of forged ones stays bounded

_request_site: ContextVar[str | None] = ContextVar("papertide_request_site", default=None)


def served_url(host: str, port: int) -> str:
    """The address a server listening on ``host``:``port`` is reached at (a wildcard address: this machine)."""
    host = _WILDCARD_ADDRESSES.get(host, host)
    return f"http://{f'[{host}]' if ':' in host else host}:{port}"


def port_mismatch(base_url: str | None, port: int) -> str | None:
    """Why links would miss a server listening on ``port``: a base URL that names another port, or None.

    A base URL without a port is a proxy's public address (http on 80, https on 443) and only
    named as a mismatch when it is this machine's own loopback name.
    """
    if not base_url:
        return None
    parts = urlsplit(base_url)
    named = parts.port
    if named is None and (parts.hostname or "") in ("localhost", "127.0.0.1", "::1"):
        named = 443 if parts.scheme == "https" else 80
    if named is None or named == port:
        return None
    return (
        f"PAPERTIDE_BASE_URL is {base_url}, which names port {named}, but this serves port {port}: links in "
        "mail and feeds point there. Set PAPERTIDE_BASE_URL to the address people reach, or unset it to link "
        "to the address each request came to."
    )


def _host_name(pattern: str) -> str:
    return pattern.strip().lower().removeprefix("[").removesuffix("]")


class SiteAddress:
    """One app's link base: configured, or per request among trusted hosts, or the served address."""

    def __init__(self, settings: Settings, served: str | None = None) -> None:
        self.configured = settings.base_url
        self.default = (settings.base_url or served or settings.site_url).rstrip("/")
        self._trusted = {_host_name(name) for name in settings.trusted_hosts}
        self._trusted.add(_host_name(urlsplit(self.default).hostname or ""))
        self._warned: set[str] = set()

    def current(self) -> str:
        """The link base of the request being handled; the app's default outside a request."""
        return _request_site.get() or self.default

    def trusts(self, host: str) -> bool:
        name = _host_name(host)
        return name in self._trusted or any(
            pattern.startswith("*.") and name.endswith(pattern[1:]) for pattern in self._trusted
        )

    def of(self, scope: Scope) -> str:
        """The link base for a request: its own scheme and Host when that host is trusted."""
        if self.configured:
            return self.default
        host_header = next((value for key, value in scope["headers"] if key == b"host"), b"").decode("latin-1")
        matched = _HOST_HEADER.fullmatch(host_header)
        if matched is None or not self.trusts(matched["host"]):
            self._warn(host_header)
            return self.default
        return f"{scope['scheme']}://{host_header.lower()}{scope.get('root_path', '')}".rstrip("/")

    def _warn(self, host: str) -> None:
        if host in self._warned or len(self._warned) >= _MAX_WARNED_HOSTS:
            return
        self._warned.add(host)
        log.warning(
            "a request came for host %r, which is not in PAPERTIDE_TRUSTED_HOSTS: its links point to %s. "
            "Add the name to PAPERTIDE_TRUSTED_HOSTS, or set PAPERTIDE_BASE_URL, if people reach the site by it.",
            host[:200],
            self.default,
        )


class SiteMiddleware:
    """Works out each HTTP request's link base (:meth:`SiteAddress.of`) for the handlers below it."""

    def __init__(self, app: ASGIApp, site: SiteAddress) -> None:
        self.app = app
        self.site = site

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = _request_site.set(self.site.of(scope))
        try:
            await self.app(scope, receive, send)
        finally:
            _request_site.reset(token)
