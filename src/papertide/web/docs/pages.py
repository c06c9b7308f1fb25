"""``/docs``: the API reference as a plain page rendered from the OpenAPI schema.

FastAPI's Swagger UI loads its scripts from a CDN; this page needs nothing but our stylesheet,
so the documentation works offline like the rest of the site. ``/openapi.json`` stays available
for tools and client generators.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from papertide.web.kit.problems import DOCUMENTED_ERRORS, VALIDATION_TYPE, problem_type
from papertide.web.kit.templating import templates

router = APIRouter(include_in_schema=False)

_METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True, slots=True)
class Operation:
    method: str
    path: str
    summary: str
    description: str
    parameters: list[dict]
    responses: list[tuple[str, str]]  # (status, description)

    @property
    def anchor(self) -> str:
        return f"{self.method}-{self.path.strip('/').replace('/', '-').replace('{', '').replace('}', '')}"


@dataclass(frozen=True, slots=True)
class ErrorKind:
    anchor: str
    status: int
    title: str
    description: str


def operations(schema: dict) -> list[Operation]:
    """Every operation in an OpenAPI schema, in path order."""
    found = []
    for path, item in schema.get("paths", {}).items():
        for method in _METHODS:
            if method not in item:
                continue
            op = item[method]
            found.append(
                Operation(
                    method=method.upper(),
                    path=path,
                    summary=op.get("summary", ""),
                    description=op.get("description", ""),
                    parameters=op.get("parameters", []),
                    responses=[(code, body.get("description", "")) for code, body in op.get("responses", {}).items()],
                )
            )
    return found


def error_kinds() -> list[ErrorKind]:
    """The ``type`` values of problem responses, described for the reference's errors section."""
    kinds = [
        ErrorKind(problem_type(error).split("#", 1)[1], error.status_code, error.title, inspect.getdoc(error) or "")
        for error in DOCUMENTED_ERRORS
    ]
    validation = ErrorKind(
        VALIDATION_TYPE.split("#", 1)[1], 422, "Invalid request",
        "A parameter is missing, malformed or out of range; `errors` lists each one with its location.",
    )  # fmt: skip
    return [*kinds, validation]


@router.get("/docs", response_class=HTMLResponse)
def api_reference(request: Request) -> Response:
    context = {"operations": operations(request.app.openapi()), "errors": error_kinds(), "version": request.app.version}
    return templates.TemplateResponse(request, "api_docs.html", context)
