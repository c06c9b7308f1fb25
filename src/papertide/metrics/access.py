"""Who may read metrics (``metrics_access``): nobody, loopback clients only, or holders of the bearer token.

One rule for the web app's /metrics and the worker's metrics port. The client address is the one
the server settled on: uvicorn replaces the socket's address by the forwarded one when the request
comes through a trusted proxy (``--forwarded-allow-ips``, default 127.0.0.1), so a remote client
behind a local reverse proxy is not taken for a loopback one.
"""

from __future__ import annotations

import hmac
import ipaddress
from enum import Enum

from papertide.config import Settings


class Access(Enum):
    ALLOWED = "allowed"
    HIDDEN = "hidden"  # metrics are off: answer as if there were none (404)
    REFUSED = "refused"  # not from loopback, or without the right token (403 / 401)
    UNAUTHENTICATED = "unauthenticated"


def metrics_access(settings: Settings, client_host: str | None, authorization: str | None) -> Access:
    """Whether a request from ``client_host`` with this Authorization header may read the metrics."""
    if settings.metrics_access == "off":
        return Access.HIDDEN
    if settings.metrics_access == "loopback":
        return Access.ALLOWED if _is_loopback(client_host) else Access.REFUSED
    assert settings.metrics_token is not None  # the settings refuse token access without a token
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not given:
        return Access.UNAUTHENTICATED
    expected = settings.metrics_token.get_secret_value().encode()
    return Access.ALLOWED if hmac.compare_digest(given.strip().encode(), expected) else Access.REFUSED


def _is_loopback(host: str | None) -> bool:
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
