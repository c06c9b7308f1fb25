"""Getting papers in and out of collections: BibTeX and JSON exports, BibTeX/RIS imports (pages and API)."""

from __future__ import annotations

import re

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from papertide.errors import InvalidInput
from papertide.library.bibtex import write_bibtex
from papertide.library.imports import ImportReport
from papertide.store.accounts.store import User
from papertide.text import fold
from papertide.web.kit.auth import CsrfDep, OptionalUserDep, UserDep, require_user
from papertide.web.kit.dependencies import Services, ServicesDep
from papertide.web.kit.problems import problem_responses
from papertide.web.kit.templating import templates
from papertide.web.library.api import DEFAULT_ALIAS
from papertide.web.library.schemas import ImportResult, collection_detail, import_result
from papertide.web.library.uploads import UploadDep, UploadLimitDep

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", responses=problem_responses(400, 401, 403, 404, 413, 422, 503))

BIBTEX_MEDIA_TYPE = "application/x-bibtex; charset=utf-8"
# Who asks, then the size of what they send, then whether the form is ours (that check parses it).
UPLOAD_ROUTE = [Depends(require_user), UploadLimitDep, CsrfDep]
# The body as the schema shows it: the route reads it itself (see papertide.web.library.uploads).
UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {"file": {"type": "string", "format": "binary", "description": "A .bib or .ris file."}},
            }
        }
    },
}


def _file_name(name: str, extension: str) -> str:
    slug = "-".join(re.findall(r"[a-z0-9]+", fold(name)))[:60] or "collection"
    return f"{slug}.{extension}"


def _download(body: str | bytes, media_type: str, name: str) -> Response:
    return Response(body, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _bibtex(services: Services, user: User | None, public_id: str) -> Response:
    collections = services.library.collections
    everything = collections.all_papers(collections.visible(user, public_id))
    body = write_bibtex([saved.paper for saved in everything.papers])
    return _download(body, BIBTEX_MEDIA_TYPE, _file_name(everything.collection.name, "bib"))


# -- exports (declared before /c/{public_id}, which would take "x.bib" for an id) -------------------


@pages.get("/c/{public_id}.bib")
def export_bibtex(services: ServicesDep, user: OptionalUserDep, public_id: str) -> Response:
    """The whole collection as BibTeX, for a public collection or the owner's own."""
    return _bibtex(services, user, public_id)


@pages.get("/c/{public_id}.json")
def export_json(services: ServicesDep, user: OptionalUserDep, public_id: str) -> Response:
    collections = services.library.collections
    everything = collections.all_papers(collections.visible(user, public_id))
    body = collection_detail(everything, services.site.current()).model_dump_json(indent=2)
    return _download(body, "application/json", _file_name(everything.collection.name, "json"))


@api.get(
    "/collections/{collection_id}/bibtex",
    tags=["library"],
    summary="A collection as BibTeX",
    response_class=Response,
    responses={200: {"content": {"application/x-bibtex": {}}, "description": "The BibTeX file."}},
)
def api_export_bibtex(services: ServicesDep, user: OptionalUserDep, collection_id: str) -> Response:
    """Every paper as an arXiv-style `@misc` entry (eprint, archivePrefix, primaryClass, DOI, journal, url)."""
    return _bibtex(services, user, collection_id)


# -- imports -----------------------------------------------------------------------------------------


def _run_import(services: Services, user: User, filename: str, data: bytes, collection_id: str) -> ImportReport:
    target = None if collection_id in ("", DEFAULT_ALIAS) else collection_id
    return services.library.importer.run(user, data, filename, target)


@pages.post("/library/import", response_class=HTMLResponse, dependencies=UPLOAD_ROUTE)
def import_page(request: Request, services: ServicesDep, user: UserDep, upload: UploadDep) -> Response:
    """Import from the library page's form; the answer lists what matched and what did not."""
    try:
        report = _run_import(services, user, upload.filename, upload.data, upload.fields.get("collection", ""))
    except InvalidInput as exc:  # a malformed or oversized file: said on the page, nothing imported
        context = {"error": exc.message, "filename": upload.filename}
        return templates.TemplateResponse(request, "import_result.html", context, status_code=exc.status_code)
    context = {"result": import_result(report, services.site.current()), "filename": upload.filename}
    return templates.TemplateResponse(request, "import_result.html", context)


@api.post(
    "/collections/{collection_id}/import",
    tags=["library"],
    summary="Import a BibTeX or RIS file into a collection",
    dependencies=UPLOAD_ROUTE,
    openapi_extra={"requestBody": UPLOAD_BODY},
)
def api_import(services: ServicesDep, user: UserDep, collection_id: str, upload: UploadDep) -> ImportResult:
    """Multipart form with the file in `file`. Papers this library holds are matched by arXiv id, DOI or exact
    normalised title and added in one transaction; a malformed file is refused whole (400, naming the line),
    one over the size or entry limit too (413). `default` names the caller's "Saved" collection.
    """
    report = _run_import(services, user, upload.filename, upload.data, collection_id)
    return import_result(report, services.site.current())
