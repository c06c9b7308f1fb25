"""The on-disk layout of the vector index, and its one commit point.

``<index_dir>/vectors`` holds::

    manifest.json   model name and version, dim, committed row count, category vocabulary,
                    last indexed change_seq; replaced atomically: the commit point
    vectors.f32     float32 vectors, row after row (append-only)
    rows.bin        per row: store key, day, category count, text digest (append-only)
    categories.i32  category ids into the vocabulary, row after row (append-only)
    hnsw.faiss      the ANN graph over the first rows: a cache, rebuilt or caught up from vectors.f32

A commit appends to the data files, syncs them, then replaces the manifest. A crash before the
manifest is replaced leaves a tail that readers never read and the next writer cuts off, so a
killed indexer resumes after its last committed batch without losing or duplicating anything.
Rebuilding unlinks the old files, so readers that mapped them keep a consistent old snapshot.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import IO

import numpy as np

from papertide.errors import PapertideError

FORMAT = 1
ROW = np.dtype([("pk", "<i8"), ("day", "<i4"), ("n_categories", "<i4"), ("text_digest", "<u8")])
CATEGORY_ID = np.dtype("<i4")
VECTOR = np.dtype("<f4")
_DATA_FILES = ("vectors.f32", "rows.bin", "categories.i32")
_COPY_TRIES = 5


class UnusableVectors(PapertideError):
    """The stored vectors cannot serve this configuration (another model, or damaged files)."""

    status_code = 503
    title = "Vector index must be rebuilt"


class IndexBusy(PapertideError):
    """Another process is updating the vector index."""

    status_code = 503
    title = "Vector index busy"


@dataclass(frozen=True, slots=True)
class Manifest:
    """What a committed vector index holds; ``categories`` is the vocabulary category ids index."""

    model: str
    version: str
    dim: int
    rows: int = 0
    category_ids: int = 0
    last_change_seq: int = 0
    categories: list[str] = field(default_factory=list)
    format: int = FORMAT

    def describes(self, model: str, version: str) -> bool:
        return (self.model, self.version) == (model, version)


class VectorFiles:
    """Reads and appends the files of one vector index directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.manifest_path = self.directory / "manifest.json"
        self.ann_path = self.directory / "hnsw.faiss"
        self._vectors = self.directory / "vectors.f32"
        self._rows = self.directory / "rows.bin"
        self._categories = self.directory / "categories.i32"

    # -- reading ---------------------------------------------------------------------------

    def read_manifest(self) -> Manifest | None:
        """The committed manifest, or None when no index was ever built here."""
        try:
            data = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise UnusableVectors(f"{self.manifest_path} is unreadable ({exc}); `papertide index` rebuilds it") from exc
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise UnusableVectors(
                f"{self.manifest_path} is not a vector index of format {FORMAT}; `papertide index` rebuilds it"
            )
        try:
            return Manifest(**data)
        except TypeError as exc:
            raise UnusableVectors(f"{self.manifest_path} is damaged ({exc}); `papertide index` rebuilds it") from exc

    def manifest_stamp(self) -> tuple[int, int]:
        """Changes whenever a commit replaces the manifest (each replacement is a new inode)."""
        try:
            stat = self.manifest_path.stat()
        except FileNotFoundError:
            return (0, 0)
        return (stat.st_ino, stat.st_mtime_ns)

    def read_rows(self, manifest: Manifest, start: int = 0) -> np.ndarray:
        return self._read(self._rows, ROW, start, manifest.rows)

    def read_category_ids(self, manifest: Manifest, start: int = 0) -> np.ndarray:
        return self._read(self._categories, CATEGORY_ID, start, manifest.category_ids)

    def map_vectors(self, manifest: Manifest) -> np.ndarray:
        """The committed vectors, memory-mapped read-only (page cache shared by every process)."""
        if manifest.rows == 0:
            return np.empty((0, manifest.dim), dtype=VECTOR)
        self._check_size(self._vectors, manifest.rows * manifest.dim * VECTOR.itemsize)
        return np.memmap(self._vectors, dtype=VECTOR, mode="r", shape=(manifest.rows, manifest.dim))

    def _read(self, path: Path, dtype: np.dtype, start: int, stop: int) -> np.ndarray:
        self._check_size(path, stop * dtype.itemsize)
        if stop == start:
            return np.empty(0, dtype=dtype)
        return np.fromfile(path, dtype=dtype, count=stop - start, offset=start * dtype.itemsize)

    def _check_size(self, path: Path, committed: int) -> None:
        size = path.stat().st_size if path.exists() else 0
        if size < committed:
            raise UnusableVectors(
                f"{path} holds {size} bytes but its manifest commits {committed}; `papertide index` rebuilds it"
            )

    # -- writing (hold :meth:`lock`) ----------------------------------------------------------

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the writer lock, or raise :class:`IndexBusy` at once if another process has it."""
        self.directory.mkdir(parents=True, exist_ok=True)
        with (self.directory / ".lock").open("a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise IndexBusy(f"another process is updating {self.directory}; try again when it is done") from None
            yield

    def create(self, model: str, version: str, dim: int) -> Manifest:
        """Start an empty index for this model, unlinking whatever was here."""
        for path in (*map(self.directory.joinpath, _DATA_FILES), self.ann_path):
            path.unlink(missing_ok=True)
        manifest = Manifest(model=model, version=version, dim=dim)
        self._write_manifest(manifest)
        return manifest

    def _committed(self, manifest: Manifest) -> dict[Path, int]:
        """Each data file's committed length in bytes."""
        return {
            self._vectors: manifest.rows * manifest.dim * VECTOR.itemsize,
            self._rows: manifest.rows * ROW.itemsize,
            self._categories: manifest.category_ids * CATEGORY_ID.itemsize,
        }

    def copy_committed(self, directory: Path) -> Manifest | None:
        """Copy the committed index (manifest and data, not the graph: a cache) into ``directory``, while a
        writer may be appending; None when no index was built here.

        The data files are append-only, so their committed prefixes never change; only a rebuild replaces
        them (new inodes). The files are opened before the manifest is read and checked to still be the
        ones in place after it, so the copy is the manifest's own rows, never a rebuild's.
        """
        for _ in range(_COPY_TRIES):
            handles = {path: _open_or_none(path) for path in (self._vectors, self._rows, self._categories)}
            try:
                manifest = self.read_manifest()
                if manifest is not None and all(_same_file(h, p) for p, h in handles.items()):
                    directory.mkdir(parents=True, exist_ok=True)
                    for path, size in self._committed(manifest).items():
                        _copy_prefix(handles[path], size, directory / path.name)
                    (directory / self.manifest_path.name).write_text(json.dumps(asdict(manifest)), encoding="utf-8")
                    return manifest
                if manifest is None:
                    return None
            finally:
                for handle in handles.values():
                    if handle is not None:
                        handle.close()
        raise IndexBusy(f"{self.directory} was rebuilt {_COPY_TRIES} times while being copied; try again later")

    def cut_uncommitted(self, manifest: Manifest) -> None:
        """Drop what a crashed writer appended after its last commit."""
        for path, size in self._committed(manifest).items():
            self._check_size(path, size)
            if path.exists() and path.stat().st_size > size:
                os.truncate(path, size)

    def commit(
        self, manifest: Manifest, rows: np.ndarray, category_ids: np.ndarray, vectors: np.ndarray,
        categories: list[str], last_change_seq: int,
    ) -> Manifest:  # fmt: skip
        """Append rows and make them visible in one step; return the new manifest."""
        if vectors.shape != (len(rows), manifest.dim):
            raise ValueError(f"expected {len(rows)} vectors of dim {manifest.dim}, got shape {vectors.shape}")
        for path, data in ((self._vectors, vectors.astype(VECTOR)), (self._rows, rows.astype(ROW)),
                           (self._categories, category_ids.astype(CATEGORY_ID))):  # fmt: skip
            with path.open("ab") as handle:
                handle.write(np.ascontiguousarray(data).tobytes())
                handle.flush()
                os.fsync(handle.fileno())
        updated = replace(
            manifest,
            rows=manifest.rows + len(rows),
            category_ids=manifest.category_ids + len(category_ids),
            categories=list(categories),
            last_change_seq=last_change_seq,
        )
        self._write_manifest(updated)
        return updated

    def _write_manifest(self, manifest: Manifest) -> None:
        partial = self.manifest_path.with_name("manifest.json.partial")
        with partial.open("w", encoding="utf-8") as handle:
            json.dump(asdict(manifest), handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, self.manifest_path)
        directory = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


def _open_or_none(path: Path) -> IO[bytes] | None:
    try:
        return path.open("rb")
    except FileNotFoundError:
        return None


def _same_file(handle: IO[bytes] | None, path: Path) -> bool:
    """Whether ``handle`` is the file at ``path`` now (a missing file and no handle count as the same)."""
    try:
        current = path.stat().st_ino
    except FileNotFoundError:
        return handle is None
    return handle is not None and os.fstat(handle.fileno()).st_ino == current


def _copy_prefix(handle: IO[bytes] | None, size: int, target: Path) -> None:
    """The first ``size`` bytes of ``handle`` into ``target``."""
    with target.open("wb") as out:
        left = size
        while left:
            chunk = handle.read(min(left, 1 << 20)) if handle is not None else b""
            if not chunk:
                raise UnusableVectors(
                    f"{target.name} is shorter than its manifest commits; `papertide index` rebuilds it"
                )
            out.write(chunk)
            left -= len(chunk)
