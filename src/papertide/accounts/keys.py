"""The signing key and what is signed with it: short HMAC signatures bound to a purpose.

The key comes from ``PAPERTIDE_SECRET_KEY``; when unset it is generated once and kept in
``<data dir>/secret_key`` (mode 0600), so restarts keep sessions and links valid and the key is
never in code. Several nodes over one database must be given the same key explicitly.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import tempfile
from pathlib import Path

from papertide.config import Settings
from papertide.errors import ConfigError

KEY_FILE = "secret_key"
_KEY_BYTES = 32


def load_secret_key(settings: Settings) -> bytes:
    """The configured key, else the data directory's key file, created on first use."""
    if settings.secret_key is not None:
        value = settings.secret_key.get_secret_value()
        if len(value) < 16:
            raise ConfigError("secret_key: must be at least 16 characters long")
        return value.encode()
    path = settings.data_dir / KEY_FILE
    try:
        return _read_or_create(path)
    except OSError as exc:
        raise ConfigError(f"cannot read or create the secret key file {path}: {exc}") from exc


def _read_or_create(path: Path) -> bytes:
    if not path.exists():
        _create(path)
    key = path.read_bytes().strip()
    if len(key) < 16:
        raise OSError("the file is shorter than 16 bytes; delete it to generate a new key")
    return key


def _create(path: Path) -> None:
    """Write a new key beside ``path`` and link it there: the file never appears half-written, and of
    processes starting at once (``papertide serve --workers``) the first link wins and all read its key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, written = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_hex(_KEY_BYTES).encode())
        os.link(written, path)
    except FileExistsError:
        pass
    finally:
        os.unlink(written)


class Signer:
    """HMAC-SHA256 signatures of short strings, each bound to a purpose so one never passes for another."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def signature(self, purpose: str, value: str) -> str:
        digest = hmac.new(self._key, f"{purpose}\x00{value}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def verify(self, purpose: str, value: str, signature: str) -> bool:
        return hmac.compare_digest(self.signature(purpose, value), signature)
