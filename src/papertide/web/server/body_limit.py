"""Request bodies read within a size limit, before anything parses them.

The limit is checked against ``Content-Length`` first and then while the body streams in, so an
oversized body is refused (413) without being held in memory; the body read here is the one that
the route's form or JSON parsing then reads (Starlette keeps it on the request).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from papertide.errors import TooLarge


async def read_body_within(request: Request, limit: int, refusal: Callable[[int], str]) -> None:
    """Read the whole body, or raise :class:`TooLarge` with ``refusal(size seen)`` once it passes ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge(refusal(int(declared)))
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge(refusal(size))
        chunks.append(chunk)
    request._body = b"".join(chunks)  # what request.body(), .json() and .form() read from now on


def bounded_body_route(limit: int, refusal: Callable[[int], str]) -> type[APIRoute]:
    """A route class whose requests' bodies are read within ``limit`` bytes before FastAPI parses them.

    A dependency would come too late for a route that declares its body: FastAPI reads and parses
    the body before it solves the dependencies.
    """

    class BoundedBodyRoute(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handler = super().get_route_handler()

            async def bounded(request: Request) -> Response:
                await read_body_within(request, limit, refusal)
                return await handler(request)

            return bounded

    return BoundedBodyRoute
