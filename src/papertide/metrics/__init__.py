"""Every metric papertide exports, defined once (Prometheus names, help, labels), for web, worker and CLI.

Counters and histograms live in the process that observes them. Under ``papertide serve --workers
N`` each process writes them to files in ``PROMETHEUS_MULTIPROC_DIR`` (prometheus_client's
multiprocess mode, see :mod:`papertide.metrics.exposition`), so whichever process answers a scrape
answers for all of them. What the database knows (papers, accounts, the outbox) is not counted
here but read at scrape time: :mod:`papertide.metrics.instance`.

Label values are bounded sets: a route's template (``/papers/{paper_id}``), never the raw path; a
known HTTP method or ``other``; a search mode and stage; a job's name.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter(
    "papertide_http_requests",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
HTTP_SECONDS = Histogram(
    "papertide_http_request_duration_seconds",
    "Time from a request's arrival to its response's end, by method and route template.",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
SEARCH_SECONDS = Histogram(
    "papertide_search_duration_seconds",
    "Search time by mode (as run: a semantic search without vectors runs lexical) and stage: parse, lexical, "
    "embed, semantic, fuse, hydrate, and total. The query embedding runs beside the lexical stage, so stages "
    "may add up to more than the total.",
    ["mode", "stage"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
MAIL_SENT = Counter("papertide_mail_sent", "Messages the relay or the Maildir took, by transport.", ["transport"])
MAIL_FAILED = Counter(
    "papertide_mail_failed", "Messages the relay refused or could not be handed, by transport.", ["transport"]
)
MAIL_BOUNCES = Counter(
    "papertide_mail_bounces", "Digest recipients the relay refused, by kind: hard (5xx) or soft (4xx).", ["kind"]
)
JOB_RUNS = Counter("papertide_job_runs", "Worker job runs, by job and outcome (ok or failed).", ["job", "outcome"])
JOB_LAST_SUCCESS = Gauge(
    "papertide_job_last_success_timestamp_seconds",
    "Unix time at which a job's last successful run (in this worker process) ended.",
    ["job"],
    multiprocess_mode="max",
)
POOL_IN_USE = Gauge(
    "papertide_db_pool_connections_in_use",
    "Database connections checked out of the pools of this server's live processes.",
    multiprocess_mode="livesum",
)
POOL_SIZE = Gauge(
    "papertide_db_pool_size",
    "Database connections the pools of this server's live processes keep open (overflow not counted).",
    multiprocess_mode="livesum",
)
