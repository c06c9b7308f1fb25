"""Getting papers in and out of collections: BibTeX and JSON exports, BibTeX/RIS imports, which the pages
(library/pages.py) and the API (library/api.py) both offer."""

from __future__ import annotations

import re

from fastapi import Depends
from fastapi.responses import Response

from papertide.library.bibtex import write_bibtex
from papertide.library.imports import ImportReport
from papertide.store.accounts.store import User
from papertide.text import fold
from papertide.web.kit.auth import CsrfDep, require_user
from papertide.web.kit.dependencies import Services
from papertide.web.library.schemas import DEFAULT_ALIAS
from papertide.web.library.uploads import UploadLimitDep

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


def file_name(name: str, extension: str) -> str:
    slug = "-".join(re.findall(r"[a-z0-9]+", fold(name)))[:60] or "collection"
    return f"{slug}.{extension}"


def download(body: str | bytes, media_type: str, name: str) -> Response:
    return Response(body, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{name}"'})


def bibtex_download(services: Services, user: User | None, public_id: str) -> Response:
    collections = services.library.collections
    everything = collections.all_papers(collections.visible(user, public_id))
    body = write_bibtex([saved.paper for saved in everything.papers])
    return download(body, BIBTEX_MEDIA_TYPE, file_name(everything.collection.name, "bib"))


def run_import(services: Services, user: User, filename: str, data: bytes, collection_id: str) -> ImportReport:
    target = None if collection_id in ("", DEFAULT_ALIAS) else collection_id
    return services.library.importer.run(user, data, filename, target)
