"""File uploads read within a size limit, before anything parses them.

The body is read by :func:`papertide.web.server.body_limit.read_body_within`, so an oversized upload is
refused (413) without being spooled to disk; the body read there is what the CSRF check and the
handler then parse.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import UploadFile

from papertide.errors import InvalidInput
from papertide.web.kit.dependencies import ServicesDep
from papertide.web.server.body_limit import read_body_within

# Room for the multipart framing and the form's other fields around the file itself.
_FRAMING_BYTES = 64 * 1024


async def body_within_limit(request: Request, services: ServicesDep) -> None:
    """Read the request body, refusing one larger than an import may be (a dependency of upload routes)."""
    most = services.settings.import_max_bytes
    await read_body_within(request, most + _FRAMING_BYTES, lambda size: _too_large(size, most))


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
    fields = {name: value for name, value in form.items() if isinstance(value, str) and name != "file"}
    if isinstance(upload, str) and upload:  # the file's text as a plain field, as `curl -F 'file=<x.bib'` sends it
        return Upload("file", upload.encode(), fields)
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise InvalidInput("choose a BibTeX (.bib) or RIS (.ris) file to import (form field 'file')")
    return Upload(upload.filename, await upload.read(), fields)


UploadDep = Annotated[Upload, Depends(uploaded_file)]
