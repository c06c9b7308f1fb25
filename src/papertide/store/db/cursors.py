"""Keyset cursors: a position in a listing ordered by (time, key), as the opaque text clients pass back.

A cursor is two decimal numbers, ``<microseconds since 1970>~<key>``, so that every string of
:data:`CURSOR_PATTERN` decodes to a position (the API documents the pattern, and a request the
pattern admits is never refused) and neither number can overflow a datetime or a key (see MAX_KEY).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from papertide.errors import InvalidInput

# 17 digits of microseconds reach the year 5138; 9 digits of key stay below MAX_KEY (2**31 - 1).
CURSOR_PATTERN = r"^[0-9]{1,17}~[0-9]{1,9}$"
_CURSOR = re.compile(CURSOR_PATTERN.strip("^$"))
_EPOCH = datetime(1970, 1, 1)
_MICROSECOND = timedelta(microseconds=1)


def encode_cursor(moment: datetime, key: int) -> str:
    """The cursor after the row at ``moment`` (UTC; its zone is dropped) with primary key ``key``."""
    return f"{(moment.replace(tzinfo=None) - _EPOCH) // _MICROSECOND}~{key}"


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """``(moment, key)`` of a cursor (``moment`` naive UTC); InvalidInput for text no page gave out."""
    if not _CURSOR.fullmatch(cursor):
        raise InvalidInput(f"invalid cursor {cursor[:80]!r}: give the next_cursor of the previous page")
    micros, key = cursor.split("~")
    return _EPOCH + int(micros) * _MICROSECOND, int(key)
