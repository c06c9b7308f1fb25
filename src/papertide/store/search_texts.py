"""Search texts too long for a URL, kept so that their result pages have short, shareable addresses.

A text's id is a digest of the text itself, so saving it again finds the same row (and only
refreshes when it was last saved): a row belongs to no one and changes nothing anyone sees.
Rows not saved again for the retention period are pruned as new ones arrive.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta

from sqlalchemy import delete, select

from papertide.store.db.base import TableStore, upsert
from papertide.store.db.schema import search_texts

TEXT_ID_CHARS = 20  # 120 bits of SHA-256: no two texts meet by chance


def text_id(text: str) -> str:
    """The id of ``text``: URL-safe, the same on every node and every run."""
    digest = hashlib.sha256(text.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()[:TEXT_ID_CHARS]


class SearchTextStore(TableStore):
    """Save and read back search texts by id; how long a text may be is the caller's rule."""

    def save(self, text: str, *, keep: timedelta) -> str:
        """Keep ``text`` (for ``keep`` after this save) and return its id; texts older than that are pruned."""
        now = self._clock()
        key = text_id(text)
        with self._writing() as conn:
            conn.execute(delete(search_texts).where(search_texts.c.saved_at < now - keep))
            upsert(conn, search_texts, [{"text_id": key, "text": text, "saved_at": now}], ["text_id"])
        return key

    def load(self, key: str) -> str | None:
        """The text saved under ``key``, or None (never saved, or pruned)."""
        with self._reading() as conn:
            return conn.execute(select(search_texts.c.text).where(search_texts.c.text_id == key)).scalar_one_or_none()
