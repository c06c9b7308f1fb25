"""One scrape's text: this process's metrics, or every process's under ``serve --workers``, and the instance's.

``papertide serve --workers N`` calls :func:`prepare_multiprocess_dir` before starting its worker
processes: prometheus_client then keeps each process's counters and histograms in files there
(``<data dir>/metrics``, emptied at every start so that a previous run's counts are not added), and
a scrape merges them. A worker that died and was replaced keeps its counts (they happened), but
its share of the live gauges (pool use) is dropped at the next scrape.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from pathlib import Path

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector

MULTIPROCESS_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST


def prepare_multiprocess_dir(data_dir: Path) -> Path:
    """Empty ``<data_dir>/metrics`` and name it to the processes started from now on (before they import
    prometheus_client: it chooses its storage at import)."""
    directory = data_dir / "metrics"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    os.environ[MULTIPROCESS_VARIABLE] = str(directory)
    return directory


def scrape(*extra: Collector) -> bytes:
    """The Prometheus text of the process's (or processes') metrics and ``extra`` collectors'."""
    registry = CollectorRegistry(auto_describe=False)
    directory = os.environ.get(MULTIPROCESS_VARIABLE)
    if directory:
        mark_dead_processes(Path(directory))
        MultiProcessCollector(registry, directory)
    else:
        registry.register(_ThisProcess())
    for collector in extra:
        registry.register(collector)
    return generate_latest(registry)


def mark_dead_processes(directory: Path) -> None:
    """Drop the live-gauge files of processes that are gone (a worker uvicorn replaced)."""
    for path in directory.glob("gauge_live*_*.db"):
        pid = int(path.stem.rsplit("_", 1)[1])
        if not _alive(pid):
            mark_process_dead(pid, str(directory))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


class _ThisProcess(Collector):
    """The default registry's metrics (papertide's and the process's own), within a registry of one scrape."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()
