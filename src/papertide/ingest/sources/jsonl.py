"""Line-delimited JSON files: papertide's own export format, and the reader under the Kaggle source.

Files are streamed line by line (plain or gzip, told apart by their magic bytes) so memory stays
flat however big the file is; the reader counts the bytes consumed so a progress bar can show
rate and ETA. A bad line becomes a :class:`RecordError` naming ``path:line`` and the rest loads.
"""

from __future__ import annotations

import gzip
import io
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from orjson import loads  # several times faster than json: it matters for multi-gigabyte bulk loads

from papertide.errors import RecordError
from papertide.ingest.sources.base import Item
from papertide.model import paper_from_dict

ProgressCallback = Callable[[int, int], None]  # (bytes_read, total_bytes)

_GZIP_MAGIC = b"\x1f\x8b"
_PROGRESS_EVERY = 4096  # lines between progress reports: cheap, yet several per second


class LineReader:
    """Iterate ``(line number, raw line)`` over a plain or gzipped file, skipping blank lines.

    ``bytes_read`` and ``total_bytes`` count bytes of the file on disk (compressed for gzip), so
    their ratio is the true fraction done; ``on_progress`` receives them every few thousand lines
    and once at the end.
    """

    def __init__(self, path: str | os.PathLike[str], on_progress: ProgressCallback | None = None) -> None:
        self.path = Path(path)
        self.on_progress = on_progress
        self.bytes_read = 0
        self.total_bytes = 0

    def __iter__(self) -> Iterator[tuple[int, bytes]]:
        with open(self.path, "rb") as raw:
            self.total_bytes = os.fstat(raw.fileno()).st_size
            self.bytes_read = 0
            stream = io.BufferedReader(gzip.GzipFile(fileobj=raw)) if raw.peek(2)[:2] == _GZIP_MAGIC else raw
            report = self.on_progress
            for lineno, line in enumerate(stream, 1):
                if not lineno % _PROGRESS_EVERY:
                    self.bytes_read = raw.tell()
                    if report:
                        report(self.bytes_read, self.total_bytes)
                if line.strip():
                    yield lineno, line
            self.bytes_read = self.total_bytes
            if report:
                report(self.bytes_read, self.total_bytes)


def load_line(line: bytes, location: str) -> object:
    """Decode one JSON line; raise :class:`RecordError` at ``location`` when it is not JSON."""
    try:
        return loads(line)
    except ValueError as exc:
        raise RecordError(f"invalid JSON: {exc}", location=location) from None


class JsonlSource:
    """Papers in :func:`papertide.model.paper_to_dict`'s schema, one JSON object per line."""

    name = "jsonl"

    def __init__(self, path: str | os.PathLike[str], *, on_progress: ProgressCallback | None = None) -> None:
        self.reader = LineReader(path, on_progress)

    def items(self) -> Iterator[Item]:
        """Each line's paper, or a RecordError naming ``path:line`` and the field at fault."""
        path = self.reader.path
        for lineno, line in self.reader:
            location = f"{path}:{lineno}"
            try:
                yield paper_from_dict(load_line(line, location), location)
            except RecordError as error:
                yield error
