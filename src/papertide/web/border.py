"""Types that hold web input to what the layers behind can take, checked before a handler runs.

A path or query parameter that passes its type here never fails further in: an id beyond a
64-bit key would overflow the database driver (a 500 instead of a 404), and a lax date would read
``0`` as 1970-01-01. Each is declared once and documented in the OpenAPI schema by its bounds.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from fastapi import Path
from pydantic import BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

# The largest key SQLite's INTEGER and PostgreSQL's BIGINT hold; ids are positive.
MAX_DB_ID = 2**63 - 1

DbId = Annotated[int, Path(ge=1, le=MAX_DB_ID, description="A positive id, as listed by the API.")]

_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_day(value: object) -> object:
    """Only ``YYYY-MM-DD`` (or a date): pydantic would also read numbers as Unix times."""
    if isinstance(value, date) or (isinstance(value, str) and _ISO_DAY.fullmatch(value)):
        return value
    raise PydanticCustomError("iso_day", "must be a date written YYYY-MM-DD, got {value}", {"value": repr(value)[:40]})


IsoDay = Annotated[date, BeforeValidator(_iso_day), WithJsonSchema({"type": "string", "format": "date"})]
