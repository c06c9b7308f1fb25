"""The backup file: one tar archive holding the database snapshot, the signing key and, last, a manifest.

::

    papertide.db | papertide.dump   the database snapshot (SQLite file, or pg_dump's custom format)
    vectors/                        the vector index's committed files, where the database holds no embeddings
    secret_key                      the data directory's signing key, when it has one
    manifest.json                   versions, schema revision, embedding model, and each file's size and sha256

The manifest comes last because it records the checksums computed while the files went in (one read
of a database that may be gigabytes), and so that an archive cut short lacks it and reads as truncated.
The tar is not compressed: pg_dump's format already is, and a SQLite snapshot compresses in a pipe
(``zstd``) faster than Python's gzip would; the file is created readable by its owner only (it holds
every account and the signing key).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO

from papertide.errors import InvalidInput, StoreError

FORMAT = 1
MANIFEST = "manifest.json"
_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class ArchivedFile:
    name: str
    bytes: int
    sha256: str


@dataclass(frozen=True, slots=True)
class Manifest:
    """What a backup holds and what restoring it needs."""

    papertide: str  # the version that wrote it
    created_at: str  # ISO 8601, UTC
    database: str  # dialect: sqlite or postgresql
    schema_revision: str | None  # the Alembic revision of the snapshot
    embedding_model: dict[str, str]  # name and version of the configured embedder
    papers: int  # papers in the snapshot
    files: list[ArchivedFile]
    excluded: dict[str, str] = field(default_factory=dict)  # what is left out, and how restore gets it back
    format: int = FORMAT

    def file(self, name: str) -> ArchivedFile | None:
        return next((f for f in self.files if f.name == name), None)


class _Hashing:
    """A reader that digests what passes through it (tarfile copies from it)."""

    def __init__(self, handle: IO[bytes]) -> None:
        self._handle = handle
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self._handle.read(size)
        self.digest.update(data)
        return data


def write_archive(path: Path, files: list[tuple[str, Path]], describe: dict) -> Manifest:
    """Write ``files`` (name in the archive, file) and their manifest (``describe`` plus the files) to ``path``.

    The archive is written beside ``path`` and renamed onto it when complete, so ``path`` is never a
    partial backup, even when the run is killed.
    """
    partial = path.with_name(f".{path.name}.partial")
    archived: list[ArchivedFile] = []
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as raw:
            with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
                for name, source in files:
                    info = tarfile.TarInfo(name)
                    info.size, info.mode, info.mtime = source.stat().st_size, 0o600, time.time()
                    with source.open("rb") as handle:
                        reader = _Hashing(handle)
                        tar.addfile(info, reader)
                    archived.append(ArchivedFile(name, info.size, reader.digest.hexdigest()))
                manifest = Manifest(files=archived, **describe)
                body = json.dumps(asdict(manifest), indent=2).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mode, info.mtime = len(body), 0o600, time.time()
                tar.addfile(info, io.BytesIO(body))
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(partial, path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise StoreError(f"cannot write the backup {path}: {exc}") from exc
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return manifest


@contextmanager
def _opened(path: Path) -> Iterator[tarfile.TarFile]:
    if not path.is_file():
        raise InvalidInput(f"{path}: no such backup file")
    try:
        with tarfile.open(path, mode="r:") as tar:
            yield tar
    except (tarfile.TarError, EOFError) as exc:
        raise InvalidInput(f"{path}: not a readable papertide backup (truncated or damaged: {exc})") from exc
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read the backup: {exc}") from exc


def read_manifest(path: Path) -> Manifest:
    """The manifest of the backup at ``path``; a clear error when it is missing, unreadable or not ours."""
    with _opened(path) as tar:
        try:
            handle = tar.extractfile(MANIFEST)
        except KeyError:
            raise InvalidInput(
                f"{path}: no {MANIFEST} in the archive: the backup is truncated, or not a papertide backup"
            ) from None
        data = handle.read() if handle else b""
    try:
        fields = json.loads(data)
        if fields.get("format") != FORMAT:
            raise InvalidInput(f"{path}: backup format {fields.get('format')!r}, this papertide reads {FORMAT}")
        fields["files"] = [ArchivedFile(**f) for f in fields["files"]]
        return Manifest(**fields)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise InvalidInput(f"{path}: its {MANIFEST} is damaged ({exc.__class__.__name__}: {exc})") from exc


def extract_verified(path: Path, manifest: Manifest, directory: Path) -> dict[str, Path]:
    """Extract every file the manifest lists into ``directory``, checking each one's size and sha256."""
    extracted: dict[str, Path] = {}
    with _opened(path) as tar:
        for expected in manifest.files:
            try:
                member = tar.getmember(expected.name)
            except KeyError:
                raise InvalidInput(f"{path}: {expected.name} is missing from the archive") from None
            if member.size != expected.bytes:
                raise InvalidInput(
                    f"{path}: {expected.name} holds {member.size} bytes, its manifest says {expected.bytes}"
                )
            if Path(expected.name).is_absolute() or ".." in Path(expected.name).parts:
                raise InvalidInput(f"{path}: its manifest names {expected.name!r}, outside the archive's folder")
            target = directory / expected.name
            target.parent.mkdir(parents=True, exist_ok=True)
            digest = hashlib.sha256()
            source = tar.extractfile(member)
            with target.open("wb") as out:
                while chunk := source.read(_CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
            if digest.hexdigest() != expected.sha256:
                raise InvalidInput(
                    f"{path}: {expected.name} fails its checksum (sha256 {digest.hexdigest()}, the manifest says "
                    f"{expected.sha256}): the backup is damaged"
                )
            extracted[expected.name] = target
    return extracted


__all__ = ["MANIFEST", "ArchivedFile", "Manifest", "extract_verified", "read_manifest", "write_archive"]
