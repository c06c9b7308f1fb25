"""``OPTIONS`` on any route's URL: a 204 whose ``Allow`` lists the methods the router serves there.

No route declares OPTIONS, so the answer is computed from the router for every path alike. A URL
can match several templates, because ``{paper_id:path}`` also takes ``2410.1/vote``; the methods
are those of the most specific templates, the ones with the most literal characters, as the
OpenAPI document lists them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from fastapi.routing import RouteContext, iter_route_contexts
from starlette.responses import Response
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Receive, Scope, Send

_PARAMETER = re.compile(r"{[^}]*}")


def allowed_methods(routes: Sequence[BaseRoute], scope: Scope) -> list[str]:
    """The methods the routes serve at the scope's path, OPTIONS included; empty when none matches."""
    # Included routers nest; their route contexts are the routes as the app serves them.
    contexts = iter_route_contexts(routes)
    matching = [route for route in contexts if route.methods and route.matches(scope)[0] != Match.NONE]
    if not matching:
        return []
    literal = max(_literal_length(route) for route in matching)
    methods = {method for route in matching if _literal_length(route) == literal for method in route.methods or ()}
    return sorted(methods | {"OPTIONS"})


def _literal_length(route: RouteContext) -> int:
    return len(_PARAMETER.sub("", route.path))


class OptionsMiddleware:
    """Answers ``OPTIONS`` for every routed path; other paths and methods pass through."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "OPTIONS":
            allowed = allowed_methods(scope["app"].router.routes, scope)
            if allowed:
                await Response(status_code=204, headers={"Allow": ", ".join(allowed)})(scope, receive, send)
                return
        await self.app(scope, receive, send)
