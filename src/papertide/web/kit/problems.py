"""Errors to responses, in one place: RFC 9457 problem+json for the API, an error page for people.

Every :class:`~papertide.errors.PapertideError` already names its HTTP status and title, so a
single handler maps them all; framework errors (unknown route, invalid parameter) and anything
unexpected are shaped the same way. Server errors are logged with their traceback and their
detail withheld from the client.
"""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from papertide.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    NotReady,
    PapertideError,
    QueryError,
    StoreError,
    TooLarge,
    TooManyRequests,
    Unauthorized,
)
from papertide.web.kit.auth import sign_in_url
from papertide.web.kit.schemas import Problem
from papertide.web.kit.templating import templates

PROBLEM_MEDIA_TYPE = "application/problem+json"
VALIDATION_TYPE = "/docs#problem-validation"
# The error kinds the API documents at /docs#errors; every other status uses about:blank.
DOCUMENTED_ERRORS: tuple[type[PapertideError], ...] = (
    InvalidInput, QueryError, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, TooManyRequests, StoreError,
)  # fmt: skip
# Paths answered with problem+json rather than an HTML page (feeds are read by feed readers, not people).
_MACHINE_PREFIXES = ("/api/", "/openapi.json", "/healthz", "/readyz", "/metrics", "/feeds/")

logger = logging.getLogger(__name__)


def problem_type(error: type[PapertideError]) -> str:
    """The ``type`` URI of an error class: its entry on the API documentation page."""
    if error not in DOCUMENTED_ERRORS:
        return "about:blank"
    return "/docs#problem-" + re.sub(r"(?<!^)(?=[A-Z])", "-", error.__name__).lower()


def problem_response(
    request: Request,
    status: int,
    title: str,
    detail: str,
    *,
    type_: str = "about:blank",
    errors: list[dict] | None = None,
) -> Response:
    """The error as problem+json for API clients, or as an HTML page for a browser on a page URL."""
    if _is_page(request):
        context = {"status": status, "title": title, "detail": detail, "errors": errors or []}
        return templates.TemplateResponse(request, "error.html", context, status_code=status)
    problem = Problem(type=type_, title=title, status=status, detail=detail, instance=request.url.path, errors=errors)
    return JSONResponse(problem.model_dump(exclude_none=True), status_code=status, media_type=PROBLEM_MEDIA_TYPE)


_SERVER_FAILED = "The server could not answer this request; it has been logged. Please try again later."


def _is_page(request: Request) -> bool:
    return not request.url.path.startswith(_MACHINE_PREFIXES)


def _sign_in_redirect(request: Request) -> Response:
    """A person who needs an account is sent to sign in, then back to the page they were on."""
    back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method != "GET":  # a form's target is no page to return to; the page that posted it is
        referer = urlsplit(request.headers.get("referer", ""))
        same_site = referer.netloc == request.url.netloc
        back = (referer.path + (f"?{referer.query}" if referer.query else "")) if same_site and referer.path else "/"
    return RedirectResponse(sign_in_url(back), status_code=303)


def _detail(request: Request, exc: PapertideError) -> str:
    """What the client is told: the message, except for server failures, which are logged instead."""
    if exc.status_code >= 500 and not isinstance(exc, NotReady):
        logger.error("%s %s failed: %s", request.method, request.url.path, exc.message, exc_info=exc)
        return _SERVER_FAILED
    return exc.message


def _with_error_headers(response: Response, exc: PapertideError) -> Response:
    if isinstance(exc, TooManyRequests):
        response.headers["Retry-After"] = str(exc.retry_after_s)
    elif isinstance(exc, Unauthorized):
        response.headers["WWW-Authenticate"] = 'Bearer realm="papertide"'
    return response


def page_with_error(
    request: Request, template: str, context: dict, exc: PapertideError, *, detail: str | None = None
) -> Response:
    """A page that shows ``exc`` in place (e.g. a form above its error), with the error's status and headers.

    The template gets ``error`` (the detail, or ``detail`` when the page knows better words for a
    server-side failure, which is logged all the same) and ``error_title``.
    """
    shown = _detail(request, exc)
    context = {**context, "error": detail or shown, "error_title": exc.title}
    response = templates.TemplateResponse(request, template, context, status_code=exc.status_code)
    return _with_error_headers(response, exc)


async def _papertide_error(request: Request, exc: PapertideError) -> Response:
    if isinstance(exc, Unauthorized) and _is_page(request):
        return _sign_in_redirect(request)
    detail = _detail(request, exc)
    response = problem_response(request, exc.status_code, exc.title, detail, type_=problem_type(type(exc)))
    return _with_error_headers(response, exc)


_SHOULD = re.compile(r"^(?:Input|String|List|Value|Dictionary|Object|Tuple|Set|Date|Datetime|Decimal) should ")


def _says(error: dict) -> str:
    """A validation error in the words of the rest of the API: what the field must be, and what it was.

    A field that is there with the wrong type says "must be a valid integer, got 'ten'", never that
    it is missing; only an absent field "is required".
    """
    if error["type"] == "missing":
        return "is required"
    message = _SHOULD.sub("must ", error["msg"])
    if "got " in message:
        return message
    shown = repr(error.get("input"))
    return f"{message}, got {shown if len(shown) <= 40 else shown[:40] + '…'}"


async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
    errors = [{"location": ".".join(str(part) for part in err["loc"]), "message": _says(err)} for err in exc.errors()]
    detail = "; ".join(f"{err['location']}: {err['message']}" for err in errors)
    return problem_response(request, 422, "Invalid request", detail, type_=VALIDATION_TYPE, errors=errors)


async def _http_error(request: Request, exc: HTTPException) -> Response:
    title = HTTPStatus(exc.status_code).phrase
    detail = exc.detail if exc.detail != title else f"{request.method} {request.url.path}: {title.lower()}"
    response = problem_response(request, exc.status_code, title, detail)
    response.headers.update(exc.headers or {})
    return response


class UnexpectedErrorMiddleware:
    """Answers any exception no handler took with a logged 500 problem, and lets the request end normally.

    Starlette's own last-resort handler re-raises after answering, and uvicorn then closes the
    connection, failing the client's next request on it; this one answers and returns.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_and_note(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        except Exception as exc:
            if started:  # half a response is out: only closing the connection can tell the client
                raise
            request = Request(scope)
            logger.error("%s %s failed unexpectedly", request.method, request.url.path, exc_info=exc)
            await problem_response(request, 500, "Internal error", _SERVER_FAILED)(scope, receive, send)


def install_problem_handlers(app: FastAPI) -> None:
    """Register the handlers that turn every error into a problem response."""
    app.add_exception_handler(PapertideError, _papertide_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_middleware(UnexpectedErrorMiddleware)  # the innermost: the others see its answer like any other


def problem_responses(*statuses: int) -> dict[int | str, dict]:
    """OpenAPI entries for the problem+json answers a route can give."""
    return {
        status: {
            "description": HTTPStatus(status).phrase,
            "model": Problem,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }
