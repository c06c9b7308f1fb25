"""Types that hold web input to what the layers behind can take, checked before a handler runs.

A path or query parameter that passes its type here never fails further in: an id beyond the
database's integer keys would overflow it (a 500 instead of a 404), and a lax date would read
``0`` as 1970-01-01. Each is declared once and documented in the OpenAPI schema by its bounds.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from fastapi import Path
from pydantic import AfterValidator, BeforeValidator, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from papertide.store.db.schema import MAX_KEY

DbId = Annotated[int, Path(ge=1, le=MAX_KEY, description="A positive id, as listed by the API.")]

_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_day(value: object) -> object:
    """Only ``YYYY-MM-DD`` (or a date): pydantic would also read numbers as Unix times."""
    if isinstance(value, date) or (isinstance(value, str) and _ISO_DAY.fullmatch(value)):
        return value
    raise PydanticCustomError("iso_day", "must be a date written YYYY-MM-DD, got {value}", {"value": repr(value)[:40]})


IsoDay = Annotated[date, BeforeValidator(_iso_day), WithJsonSchema({"type": "string", "format": "date"})]


def patterned(pattern: str, says: str) -> object:
    """A string type that must match ``pattern`` as JSON Schema reads it (a search), with Python's ``re``.

    Checked here rather than by pydantic's own ``pattern`` (another regex engine) so that what the
    schema admits and what the server accepts are decided alike, and the error says ``says``.
    """
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.search(value):
            raise PydanticCustomError("pattern", "must be {says}", {"says": says})
        return value

    return Annotated[str, AfterValidator(check), WithJsonSchema({"type": "string", "pattern": pattern})]


# An address the digest's mail path takes whole (see papertide.mail.addresses.parse_address): dot-atoms
# before the @ (at most 64 characters, up to four parts), up to five host-name labels of at most 32 characters
# after it (university addresses run to five: name@stud.cs.ox.ac.uk), at most 229 characters in all.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?"
EMAIL_PATTERN = rf"^{_ATOM}{{1,31}}(?:\.{_ATOM}{{1,10}}){{0,3}}@{_LABEL}(?:\.{_LABEL}){{0,4}}$"
Email = patterned(EMAIL_PATTERN, "an email address such as name@example.org")


def _json_number(value: object) -> object:
    """A JSON integer (``7`` or ``7.0``, as JSON Schema counts them); not text or true/false as lax pydantic would."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PydanticCustomError("whole_number", "must be a whole number, got {value}", {"value": repr(value)[:40]})
    return value


def whole_number(low: int, high: int) -> object:
    """An integer from ``low`` to ``high``, given as a JSON number (the bounds stay in the schema)."""
    return Annotated[int, Field(ge=low, le=high), BeforeValidator(_json_number)]
