"""The one polite HTTP client every remote source goes through.

Public metadata services stay open because clients behave: we identify ourselves with a contact
address, keep a minimum interval between requests to the same host (arXiv asks for one request
every three seconds), back off exponentially on transient failures and wait as long as a ``503``
or ``429`` answer's ``Retry-After`` asks. Whatever still fails leaves this module as a
:class:`~papertide.errors.SourceError` naming the URL, so callers handle one error type. A host
name that does not resolve, or a host that refuses the connection, is not a hiccup: that fails at
once, as :class:`~papertide.errors.SourceUnreachable` (on a machine without network, five tries
with backoff only held up everything queued behind them for half a minute).

``sleep`` and ``clock`` are injectable so tests can assert the waits without really waiting.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable, Collection, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

import httpx

from papertide import __version__
from papertide.errors import SourceError, SourceUnreachable

if TYPE_CHECKING:
    from papertide.config import Settings

log = logging.getLogger(__name__)

PROJECT_URL = "https://github.com/papertide/papertide"
ARXIV_MIN_INTERVAL = 3.0  # arXiv's API terms: no more than one request every three seconds

# Failures worth another try: the network or the server hiccuped, the request itself was fine.
_RETRYABLE_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
_RETRY_AFTER_STATUSES = frozenset({429, 503})


def client_from_settings(settings: Settings) -> HttpClient:
    """The client the configured contact address, timeout and retries describe."""
    return HttpClient(contact=settings.contact_email, timeout=settings.http_timeout_s, retries=settings.http_retries)


def user_agent(contact: str = "") -> str:
    """The User-Agent that tells operators who we are and how to reach the person running us."""
    mailto = f"; mailto:{contact}" if contact else ""
    return f"papertide/{__version__} (+{PROJECT_URL}{mailto})"


def host_of(url: str) -> str:
    """The host a politeness interval applies to."""
    return httpx.URL(url).host


class HttpClient:
    """GET with timeouts, retries, ``Retry-After`` and a per-host minimum interval.

    ``min_interval`` maps host names to the minimum seconds between two requests to that host;
    sources add their own needs with :meth:`require_interval`. The interval counts from the end
    of the previous response, so a slow server does not shorten the pause it gets.
    """

    def __init__(
        self,
        *,
        contact: str = "",
        timeout: float = 30.0,
        retries: int = 4,
        backoff: float = 2.0,
        max_backoff: float = 60.0,
        max_retry_after: float = 600.0,
        min_interval: Mapping[str, float] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_retry_after = max_retry_after
        self._intervals = dict(min_interval or {})
        self._sleep = sleep
        self._clock = clock
        self._last: dict[str, float] = {}  # host -> clock() when its last response ended
        self._not_before: dict[str, float] = {}  # host -> earliest clock() of the next attempt
        self._client = httpx.Client(
            headers={"User-Agent": user_agent(contact)},
            timeout=timeout,
            follow_redirects=True,
        )

    def require_interval(self, url: str, seconds: float) -> None:
        """Keep at least ``seconds`` between requests to ``url``'s host (the larger setting wins)."""
        host = host_of(url)
        self._intervals[host] = max(self._intervals.get(host, 0.0), seconds)

    def get(
        self, url: str, params: Mapping[str, str | int] | None = None, *, allow_status: Collection[int] = ()
    ) -> httpx.Response:
        """GET ``url`` with the body fully read; a 2xx answer or one of ``allow_status`` is returned.

        Connect errors, timeouts, truncated bodies, 429 and 5xx are retried ``retries`` times;
        anything else, or the last failure, raises :class:`SourceError`; a name that does not resolve
        or a refused connection raises :class:`SourceUnreachable` at once.
        """
        request_url = httpx.URL(url).copy_merge_params(params or {})
        host = request_url.host
        for attempt in range(self.retries + 1):
            self._wait_turn(host)
            delay = None
            try:
                response = self._client.get(request_url)
            except _RETRYABLE_ERRORS as exc:
                if (unreachable := _unreachable(exc, request_url)) is not None:
                    raise SourceUnreachable(f"GET {request_url} failed: {unreachable}") from exc
                reason = f"{type(exc).__name__}: {exc}".removesuffix(": ")
            except httpx.HTTPError as exc:
                raise SourceError(f"GET {request_url} failed: {type(exc).__name__}: {exc}") from exc
            else:
                status = response.status_code
                if response.is_success or status in allow_status:
                    return response
                reason = f"HTTP {status} {response.reason_phrase}".rstrip()
                if status != 429 and status < 500:
                    raise SourceError(f"GET {request_url} failed: {reason}")
                if status in _RETRY_AFTER_STATUSES:
                    delay = self._retry_after(response)
            finally:
                self._last[host] = self._clock()
            if attempt == self.retries:
                break
            if delay is None:
                delay = min(self.backoff * 2**attempt, self.max_backoff)
            elif delay > self.max_retry_after:
                raise SourceError(f"GET {request_url} failed: {reason}; server asks to retry after {delay:.0f} s")
            log.warning("GET %s: %s; retrying in %.1f s", request_url, reason, delay)
            self._not_before[host] = self._clock() + delay
        raise SourceError(f"GET {request_url} failed after {self.retries + 1} attempts: {reason}")

    def close(self) -> None:
        """Release pooled connections."""
        self._client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _wait_turn(self, host: str) -> None:
        """Sleep until both the politeness interval and any pending retry delay have passed."""
        ready = self._not_before.pop(host, 0.0)
        last = self._last.get(host)
        if last is not None:
            ready = max(ready, last + self._intervals.get(host, 0.0))
        wait = ready - self._clock()
        if wait > 0:
            self._sleep(wait)

    @staticmethod
    def _retry_after(response: httpx.Response) -> float | None:
        """Seconds a ``Retry-After`` header asks for: delta-seconds, or an HTTP date.

        A date is measured against the response's own ``Date`` header when it has one, so a
        skewed local clock cannot turn it into no wait or an endless one.
        """
        value = response.headers.get("Retry-After", "").strip()
        if not value:
            return None
        if value.isdigit():
            return float(value)
        try:
            until = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        try:
            now = parsedate_to_datetime(response.headers["Date"])
        except (KeyError, TypeError, ValueError):
            now = datetime.now(UTC)
        if until.tzinfo is None:
            until = until.replace(tzinfo=UTC)
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
        return max(0.0, (until - now).total_seconds())


def _unreachable(exc: BaseException, url: httpx.URL) -> str | None:
    """What makes ``url``'s host unreachable, if the failure says so: its name does not resolve, or it refused."""
    cause: BaseException | None = exc
    for _ in range(8):  # httpx wraps httpcore's error, which wraps the socket's
        if cause is None:
            return None
        if isinstance(cause, socket.gaierror):
            return f"the host name {url.host} does not resolve ({cause.strerror})"
        if isinstance(cause, ConnectionRefusedError):
            return f"{url.host} refused the connection to port {url.port or (443 if url.scheme == 'https' else 80)}"
        cause = cause.__cause__ or cause.__context__
    return None
