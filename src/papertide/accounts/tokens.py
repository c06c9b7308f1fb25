"""Bearer secrets (sign-in links, session cookies, API tokens): random, and stored only as a digest."""

from __future__ import annotations

import hashlib
import secrets
from enum import StrEnum

API_TOKEN_PREFIX = "pt_"


def new_token(prefix: str = "") -> str:
    """256 random bits, URL-safe."""
    return prefix + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What the database keeps of a token: SHA-256 is enough for 256-bit random secrets (no stretching)."""
    return hashlib.sha256(token.encode()).hexdigest()


class LinkState(StrEnum):
    """What an emailed single-use link (sign-in, subscription confirmation) can do now."""

    USABLE = "usable"
    EXPIRED = "expired"
    USED = "used"
    UNKNOWN = "unknown"
