"""Gauges read at scrape time: what the database holds, and how far this node's indexes lag behind it.

Counting in the process that answers the scrape, from the database, gives one true value however
many processes serve (a counter per process would count each insert once per process that saw it)
and survives restarts. The reads are cheap at 1M papers (:mod:`papertide.store.instance`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from papertide.store.instance import InstanceCounts
from papertide.store.jobs import JobState

IndexedSeqs = Callable[[], dict[str, int | None]]  # index name -> the change sequence it is up to (None: none built)


class InstanceCollector(Collector):
    """The instance's counts, jobs and index lag, read from ``counts``, ``jobs`` and ``indexed`` at each scrape."""

    def __init__(
        self, counts: Callable[[], InstanceCounts], jobs: Callable[[], list[JobState]], indexed: IndexedSeqs
    ) -> None:
        self._counts, self._jobs, self._indexed = counts, jobs, indexed

    def collect(self) -> Iterator[GaugeMetricFamily]:
        counts = self._counts()
        yield _gauge("papertide_papers", "Papers in the store.", counts.papers)
        yield _gauge("papertide_store_change_seq", "The store's change sequence (grows with every paper change).",
                     counts.change_seq)  # fmt: skip
        yield _gauge("papertide_accounts", "Accounts.", counts.accounts)
        yield _gauge("papertide_api_tokens", "API tokens.", counts.api_tokens)
        yield _gauge("papertide_votes", "Votes on papers.", counts.votes)
        yield _by("papertide_subscriptions", "Digest subscriptions by status.", "status", counts.subscriptions)
        yield _by("papertide_outbox_messages", "Digests in the outbox by state.", "state", counts.outbox)
        yield _gauge("papertide_bounced_addresses", "Addresses with a bounce score.", counts.bounced_addresses)
        yield _gauge("papertide_suspended_addresses", "Addresses suspended for bouncing.", counts.suspended_addresses)
        lag = GaugeMetricFamily(
            "papertide_index_lag",
            "Store change sequence minus the one this node's index is up to date with (0: caught up).",
            labels=["index"],
        )
        for index, seq in sorted(self._indexed().items()):
            if seq is not None:
                lag.add_metric([index], max(counts.change_seq - seq, 0))
        yield lag
        yield from _job_families(self._jobs())


def _job_families(jobs: list[JobState]) -> Iterator[GaugeMetricFamily]:
    runs = GaugeMetricFamily("papertide_job_runs_recorded", "Runs of each worker job recorded in the database.",
                             labels=["job"])  # fmt: skip
    failed = GaugeMetricFamily("papertide_job_last_run_failed", "1 when a job's last finished run failed.",
                               labels=["job"])  # fmt: skip
    finished = GaugeMetricFamily(
        "papertide_job_last_finished_timestamp_seconds", "Unix time a job's last run finished.", labels=["job"]
    )
    for job in jobs:
        runs.add_metric([job.name], job.runs)
        failed.add_metric([job.name], 1 if job.state == "failed" else 0)
        if job.finished_at is not None:
            finished.add_metric([job.name], job.finished_at.timestamp())
    yield from (runs, failed, finished)


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _by(name: str, documentation: str, label: str, values: dict[str, int]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=[label])
    for key, value in sorted(values.items()):
        family.add_metric([key], value)
    return family
