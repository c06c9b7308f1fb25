"""Conditional GET (RFC 9110 section 13): a client whose copy is current gets 304 and no body.

The caller supplies validators it can compute cheaply and a ``render`` callable that is only
called when the client's copy is stale, so an unchanged resource costs no rendering.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from fastapi import Request
from fastapi.responses import Response

_ENTITY_TAG = re.compile(r'(?:W/)?"([^"]*)"')


def conditional_response(
    request: Request,
    *,
    etag: str,
    last_modified: datetime,
    max_age_s: int,
    media_type: str,
    render: Callable[[], bytes],
) -> Response:
    """200 with ``render()``'s body, or 304 when the request's validators match; both carry the validators."""
    headers = {
        "ETag": etag,
        "Last-Modified": format_datetime(last_modified.astimezone(UTC), usegmt=True),
        "Cache-Control": f"public, max-age={max_age_s}",
    }
    if is_current(request, etag, last_modified):
        return Response(status_code=304, headers=headers)
    return Response(render(), media_type=media_type, headers=headers)


def is_current(request: Request, etag: str, last_modified: datetime) -> bool:
    """Whether the client's copy matches: If-None-Match decides when present, else If-Modified-Since."""
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        return _etag_matches(if_none_match, etag)
    if_modified_since = request.headers.get("if-modified-since")
    if if_modified_since is None:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False  # an invalid date is ignored, as RFC 9110 asks
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return last_modified.replace(microsecond=0) <= since


def _etag_matches(header: str, etag: str) -> bool:
    """The weak comparison GET uses: ``W/`` prefixes are ignored; ``*`` matches any current representation."""
    if header.strip() == "*":
        return True
    wanted = etag.removeprefix("W/").strip('"')
    return wanted in _ENTITY_TAG.findall(header)
