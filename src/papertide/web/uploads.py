"""File uploads read within a size limit, before anything parses them.

The limit is checked against ``Content-Length`` first and then while the body streams in, so an
oversized upload is refused (413) without being spooled to disk; the body read here is what the
CSRF check and the handler then parse.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import UploadFile

from papertide.errors import InvalidInput, TooLarge
from papertide.web.services import ServicesDep

# Room for the multipart framing and the form's other fields around the file itself.
_FRAMING_BYTES = 64 * 1024


async def body_within_limit(request: Request, services: ServicesDep) -> None:
    """Read the request body, refusing one larger than an import may be (a dependency of upload routes)."""
    limit = services.settings.import_max_bytes + _FRAMING_BYTES
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge(_too_large(int(declared), services.settings.import_max_bytes))
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge(_too_large(size, services.settings.import_max_bytes))
        chunks.append(chunk)
    request._body = b"".join(chunks)  # Starlette's form parser reads a body already read from here


def _too_large(size: int, limit: int) -> str:
    return f"the upload has {size:,} bytes or more; an import takes files of up to {limit:,} bytes"


UploadLimitDep = Depends(body_within_limit)


@dataclass(frozen=True, slots=True)
class Upload:
    filename: str
    data: bytes
    fields: dict[str, str]  # the form's other (text) fields


async def uploaded_file(request: Request) -> Upload:
    """The form's ``file`` and its other fields; InvalidInput when no file was chosen.

    Routes take their form fields from here rather than as FastAPI ``Form`` parameters, which
    would parse the body before :func:`body_within_limit` could refuse it.
    """
    form = await request.form(max_files=1, max_fields=20)
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise InvalidInput("choose a BibTeX (.bib) or RIS (.ris) file to import (form field 'file')")
    fields = {name: value for name, value in form.items() if isinstance(value, str)}
    return Upload(upload.filename, await upload.read(), fields)


UploadDep = Annotated[Upload, Depends(uploaded_file)]
