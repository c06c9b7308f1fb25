"""Settings, declared once with their help text.

Read from ``PAPERTIDE_*`` environment variables and an optional TOML file (``PAPERTIDE_CONFIG``,
default ``<data dir>/papertide.toml``). One :class:`Settings` object is built at the edge (CLI,
web app factory) and passed down; nothing deeper reads the environment.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource

from papertide.errors import ConfigError

# Where `papertide serve` listens unless told otherwise, and so where links point by default.
SERVE_HOST = "127.0.0.1"
SERVE_PORT = 8000
DEFAULT_SITE_URL = f"http://{SERVE_HOST}:{SERVE_PORT}"


def default_data_dir() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "papertide"


def environment_variable(setting: str) -> str:
    """The variable a setting is read from: what a child process is handed to load the same value."""
    return f"{Settings.model_config['env_prefix']}{setting.upper()}"


class Settings(BaseSettings):
    """Every setting papertide reads, with its environment variable ``PAPERTIDE_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="PAPERTIDE_", extra="forbid")

    data_dir: Path = Field(default_factory=default_data_dir, description="Where the database and indexes live.")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the paper store; default: a SQLite file papertide.db in data_dir.",
    )
    db_pool_size: int | None = Field(
        default=None,
        ge=1,
        le=200,
        description="Database connections each process keeps open; default 16 for SQLite, 5 for PostgreSQL. "
        "Keep (web nodes + workers) x (pool size + overflow) under PostgreSQL's max_connections.",
    )
    db_max_overflow: int = Field(
        default=10, ge=0, le=200, description="Extra PostgreSQL connections a process may open at peaks."
    )
    vectors_in_db: bool | None = Field(
        default=None,
        description="Keep embeddings in the database (pgvector), computed once by the workers for every node, "
        "instead of each node embedding for itself. Default: on for PostgreSQL, off for SQLite.",
    )
    index_follow_s: float | None = Field(
        default=None,
        ge=0,
        description="Seconds between a web node's catch-ups of its own search indexes with the database (copying "
        "stored vectors, never embedding); 0 turns it off. Default: 10 with the vectors in the database "
        "(PostgreSQL), else off (run `papertide index --watch` beside the server).",
    )
    contact_email: str = Field(
        default="papertide@localhost",
        description="Contact address sent in the User-Agent to arXiv and other sources, as they ask.",
    )
    http_timeout_s: float = Field(default=30.0, gt=0, description="Timeout of one HTTP request.")
    http_retries: int = Field(default=4, ge=0, description="Retries of a failed HTTP request, with backoff.")
    batch_size: int = Field(default=2000, ge=1, le=100_000, description="Papers written per database transaction.")
    embedder: str = Field(default="minilm", description="Embedding model for semantic search.")
    embed_max_tokens: int = Field(default=256, ge=16, le=512, description="Tokens of title+abstract embedded.")
    map_vector_graph: bool = Field(
        default=False,
        description="Map the vector graph's vectors from its file instead of reading them into the process's own "
        "memory, so that the processes of one node share them (0.77 GB at 1M papers); `papertide serve --workers` "
        "above 1 turns it on. Measured at 2.7M papers: filtered semantic searches' p99 ~8 ms slower, p50 the same.",
    )
    query_embedding_cache: int = Field(
        default=1024,
        ge=0,
        le=1_000_000,
        description="Query embeddings kept per search process (1.5 KB each with the shipped model; 0 keeps none): the "
        "next page of a search, the same words from many users and scheduled feeds and alerts skip the model.",
    )
    search_on_event_loop: bool = Field(
        default=False,
        description="Run a typed query's search on the web process's event loop over SQLite, not on a worker thread. "
        "Cheaper where a process serves each core (`papertide serve --workers` above 1 turns it on): search API at 1M "
        "papers, 2 workers, 131-144 -> 150-171 req/s. With one process for all cores, threads use more of them.",
    )
    search_text_days: int = Field(
        default=90,
        ge=1,
        description="Days a search text too long for a URL (a pasted abstract sent by the search page) is kept "
        "after it was last sent, so that its result page's short address (/search?text_id=...) keeps working.",
    )
    search_texts_per_client: int = Field(
        default=120,
        ge=1,
        description="Long search texts one client (IP address) may have kept per hour; each is at most 20,000 "
        "characters, so the table grows by at most this many a client an hour.",
    )
    web_threads: int = Field(
        default_factory=lambda: 2 * (os.cpu_count() or 1),
        ge=1,
        le=256,
        description="Threads serving the web requests that block (searches, listings); default two per core. "
        "More only contend for Python's GIL: on two cores 40 threads served 112 searches/s, 4 threads 159.",
    )

    # -- the public site and its secrets ------------------------------------------------------
    base_url: str | None = Field(
        default=None,
        description="Public URL of the web app, used in links sent by mail and in feeds. With https, session "
        "cookies are marked Secure. Unset: pages, feeds and the mail a request sends link to the address that "
        "request came to, when its host is trusted (trusted_hosts), else to the address `papertide serve` "
        "listens at; mail sent outside a request (the worker's digests) links to "
        f"{DEFAULT_SITE_URL}, where `papertide serve` listens by default.",
    )
    trusted_hosts: list[str] = Field(
        default_factory=lambda: ["localhost", "127.0.0.1", "::1"],
        description="With base_url unset, the host names a request's Host header may carry for links to point "
        "at it ('*.example.org' for every subdomain); the host `papertide serve --host` names is trusted too. "
        "A request to any other name gets links to the served address instead, so a forged Host header "
        "cannot put another site's address in a sign-in mail.",
    )
    serve_healthcheck_timeout_s: int = Field(
        default=60,
        ge=1,
        le=3600,
        description="How long `papertide serve --workers` (above 1) waits for a worker process to answer its "
        "health ping before killing and replacing it. uvicorn's own default, 5 s, kills workers that start "
        "slowly on a busy machine; a worker that hangs is replaced after this long.",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Key that signs tokens and cookies. Unset: one is generated on first start and kept in "
        "<data dir>/secret_key (mode 0600). Set it explicitly when several nodes share one database.",
    )
    session_days: int = Field(default=30, ge=1, le=365, description="How long a sign-in lasts on one browser.")
    sign_in_link_minutes: int = Field(default=15, ge=1, le=24 * 60, description="How long a sign-in link works.")
    delete_sign_in_minutes: int = Field(
        default=15,
        ge=1,
        le=24 * 60,
        description="Deleting an account needs a sign-in (by emailed link) within this many minutes, so a browser "
        "left signed in, or a stolen session cookie, cannot delete it.",
    )

    # -- mail --------------------------------------------------------------------------------
    smtp_host: str | None = Field(
        default=None,
        description="SMTP relay host. Unset: messages are delivered to the Maildir <data dir>/mail instead "
        "(read them with `papertide mail list`).",
    )
    smtp_port: int = Field(default=587, ge=1, le=65535, description="SMTP relay port.")
    smtp_security: Literal["none", "starttls", "ssl"] = Field(
        default="starttls", description="Transport security towards the relay: none, starttls or ssl (SMTPS)."
    )
    smtp_username: str | None = Field(default=None, description="SMTP login name, if the relay needs one.")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password, with smtp_username.")
    smtp_timeout_s: float = Field(default=20.0, gt=0, description="Timeout of one SMTP conversation step.")
    smtp_ca_file: Path | None = Field(
        default=None,
        description="PEM file of the CA certificate(s) to trust for the relay's TLS certificate instead of the "
        "system's, for a relay with a private CA. Certificates are always verified.",
    )
    mail_from: str = Field(
        default="papertide <papertide@localhost>", description="From: of every message papertide sends."
    )
    mail_reply_to: str | None = Field(default=None, description="Reply-To: of every message, if set.")

    # -- rate limits on everything that sends mail ---------------------------------------------
    mail_limit_per_address: int = Field(
        default=10,
        ge=1,
        description="Messages the sign-in and subscription forms may send to one address per hour, whoever asks: "
        "no address can be flooded.",
    )
    mail_limit_per_client: int = Field(
        default=20, ge=1, description="Messages one client (IP address) may cause to be sent per hour."
    )
    mail_limit_per_client_address: int = Field(
        default=5,
        ge=1,
        description="Messages one client may cause to be sent to one address per hour. Keep it below "
        "mail_limit_per_address: a stranger's client then cannot use up an address's budget, and its owner, "
        "from their own client, is still sent a link.",
    )
    mail_burst_per_client_address: int = Field(
        default=3,
        ge=1,
        description="Messages one client may cause to be sent to one address within mail_cooldown_minutes; the "
        "next waits for the cool-down, not for an hour.",
    )
    mail_cooldown_minutes: int = Field(
        default=10, ge=1, le=60, description="The window of mail_burst_per_client_address, in minutes."
    )

    # -- the library: imports of reference-manager files ------------------------------------------
    import_max_bytes: int = Field(
        default=5_000_000,
        ge=1_000,
        description="Largest BibTeX or RIS file an import accepts (bytes); larger uploads are refused whole.",
    )
    import_max_entries: int = Field(
        default=5_000,
        ge=1,
        description="Most entries one import may hold; papers found are added in one transaction.",
    )

    # -- discussion (README "Discussion and moderation") -----------------------------------------
    comment_max_chars: int = Field(
        default=10_000,
        ge=100,
        le=100_000,
        description="Longest comment accepted, in characters of Markdown; a longer one is refused whole.",
    )
    comment_limit_per_hour: int = Field(
        default=30, ge=1, description="Comments (replies included) one account may post per hour."
    )
    comment_new_account_limit_per_hour: int = Field(
        default=5,
        ge=1,
        description="Comments per hour for an account younger than comment_new_account_hours, which may also "
        "post no links: the first day of an account is when spam comes.",
    )
    comment_new_account_hours: int = Field(
        default=24, ge=0, le=24 * 30, description="How long an account counts as new for the comment rules."
    )

    # -- trending (README "Trending": the score, a worked example, and why these values) ---------
    trending_hf_upvote_weight: float = Field(
        default=1.0, ge=0, description="What one Hugging Face upvote gained in the window counts, in local upvotes."
    )
    trending_github_star_weight: float = Field(
        default=0.1,
        ge=0,
        description="What one GitHub star gained in the window counts, in local upvotes (stars come ~10x as "
        "easily as upvotes).",
    )
    trending_age_halvings: float = Field(
        default=1.0,
        ge=0,
        description="How many times a paper's score halves as its age grows from 0 to the window's length; "
        "papers older than the window all carry that same handicap (1: an old paper needs twice the attention "
        "of a brand-new one).",
    )
    trending_young_account_hours: float = Field(
        default=24.0, ge=0, description="A vote cast by an account younger than this counts less."
    )
    trending_young_vote_weight: float = Field(
        default=0.25, ge=0, le=1, description="What a vote from a young account counts."
    )
    trending_burst_votes: int = Field(
        default=5,
        ge=0,
        description="Young-account votes one paper may get within trending_burst_minutes before each further "
        "one is dampened.",
    )
    trending_burst_minutes: float = Field(
        default=60.0, gt=0, description="The span over which young-account votes on one paper count as a burst."
    )
    trending_burst_vote_weight: float = Field(
        default=0.1,
        ge=0,
        le=1,
        description="Factor on a young-account vote cast when trending_burst_votes others already came within "
        "trending_burst_minutes (0.1: it counts a tenth of a young account's vote).",
    )
    trending_refresh_s: float = Field(
        default=30.0,
        gt=0,
        description="Trending scores older than this are refreshed (incrementally) when someone views them; "
        "a new vote shows up within about this long.",
    )

    # -- digests ------------------------------------------------------------------------------
    digest_confirm_days: int = Field(
        default=7, ge=1, le=30, description="How long the confirmation link of a new digest subscription works."
    )
    digest_max_age_days: int = Field(
        default=14,
        ge=1,
        le=365,
        description="A paper that arrives in the store more than this many days after its submission is a "
        "backfill, not news: digests leave it out.",
    )
    digest_unsubscribe_mailto: str | None = Field(
        default=None,
        description="An address for List-Unsubscribe by mail (mailto:), offered beside the one-click https link.",
    )

    # -- DKIM signing of outgoing mail ----------------------------------------------------------
    dkim_domain: str | None = Field(
        default=None,
        description="Domain that signs outgoing mail with DKIM (the d= tag); set with dkim_selector and "
        "dkim_key_file, or leave all three unset to send unsigned.",
    )
    dkim_selector: str | None = Field(
        default=None, description="DKIM selector: the key is published at <selector>._domainkey.<dkim_domain>."
    )
    dkim_key_file: Path | None = Field(
        default=None, description="PEM file of the DKIM private key (RSA, 2048 bits or more)."
    )

    # -- feeds -----------------------------------------------------------------------------
    feed_items: int = Field(
        default=50,
        ge=1,
        le=100,  # a search answers at most 100 results at once
        description="Papers in each RSS/Atom feed (newest, search, trending, collections).",
    )
    feed_max_age_s: int = Field(
        default=300,
        ge=0,
        le=86_400,
        description="Cache-Control max-age of a feed: how long readers and proxies may reuse one without asking. "
        "Asking again is cheap: unchanged feeds answer 304 from their ETag / Last-Modified.",
    )

    # -- the worker: schedule, the digest outbox, bounces ----------------------------------------
    worker_tick_s: float = Field(
        default=60.0, gt=0, le=3600, description="How often `papertide worker` looks for due work, in seconds."
    )
    worker_ingest_hour_utc: int = Field(
        default=1,
        ge=0,
        le=23,
        description="UTC hour from which the daily ingest runs (arXiv announces new papers around 00:00 UTC).",
    )
    worker_oai_sets: list[str] = Field(
        default_factory=lambda: ["cs"],
        description="arXiv OAI-PMH sets the daily ingest harvests since its last run, e.g. ['cs', 'stat']. "
        "Empty: no OAI-PMH harvest.",
    )
    worker_oai_url: str = Field(default="https://export.arxiv.org/oai2", description="The OAI-PMH endpoint.")
    worker_hf_days: int = Field(
        default=2,
        ge=0,
        le=14,
        description="Days of Hugging Face daily papers (and their upvotes) the daily ingest fetches, ending "
        "today; 0: none.",
    )
    worker_hf_url: str = Field(
        default="https://huggingface.co/api/daily_papers", description="The Hugging Face daily papers endpoint."
    )
    worker_arxiv_api_url: str = Field(
        default="https://export.arxiv.org/api/query",
        description="The arXiv API endpoint the daily ingest asks for the categories of Hugging Face papers stored "
        "without any (Hugging Face lists none).",
    )
    worker_embed: bool = Field(
        default=True, description="Whether the worker's indexing step embeds new papers (else lexical only)."
    )
    worker_job_lease_s: float = Field(
        default=300.0,
        gt=0,
        description="Lease of a running job in the database, renewed while it runs: a killed worker's job is "
        "taken over by another once its lease has run out.",
    )
    worker_retry_s: float = Field(
        default=1800.0, gt=0, description="After a failed daily job (e.g. arXiv unreachable), wait this long."
    )
    worker_digest_shards: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Parts the subscribers are split into for composing digests, each a job of its own: with "
        "several workers, set it to their number (or more) and they compose side by side.",
    )
    outbox_batch: int = Field(
        default=50, ge=1, le=10_000, description="Digests one worker claims at once and sends over one connection."
    )
    outbox_lease_s: float = Field(
        default=300.0,
        gt=0,
        description="How long a claimed digest stays with its worker; after that another worker may send it.",
    )
    outbox_retry_base_s: float = Field(
        default=60.0,
        gt=0,
        description="First wait after a transient SMTP failure (4xx, connection); doubled after each further one.",
    )
    outbox_retry_max_s: float = Field(default=6 * 3600.0, gt=0, description="Longest wait between two attempts.")
    outbox_max_attempts: int = Field(
        default=8, ge=1, le=100, description="Attempts at a digest before it is recorded as failed."
    )
    outbox_keep_days: int = Field(
        default=30,
        ge=1,
        description="Days a sent digest keeps its rendered message in the outbox (the row itself stays).",
    )
    bounce_hard: float = Field(default=1.0, ge=0, description="Bounce score of a permanent (5xx) refusal.")
    bounce_soft: float = Field(default=0.5, ge=0, description="Bounce score of a temporary (4xx) refusal.")
    bounce_half_life_days: float = Field(
        default=7.0, gt=0, description="A bounce score halves every this many days without bounces."
    )
    bounce_threshold: float = Field(
        default=3.0,
        gt=0,
        description="An address whose bounce score reaches this is suspended: no more digests until its "
        "owner resumes them on the manage page.",
    )

    # -- operating: logs and metrics (README "Operating papertide") ----------------------------------
    log_format: Literal["text", "json"] = Field(
        default="text",
        description="Every log line of serve, worker and the CLI: 'text' for people at a terminal, 'json' for one "
        "JSON object a line (ts, level, logger, msg, request_id and the access log's method, path, status, "
        "duration_ms) for log pipelines. Addresses, tokens and passwords are redacted either way.",
    )
    metrics_access: Literal["off", "loopback", "token"] = Field(
        default="loopback",
        description="Who may read /metrics (and the worker's metrics port): 'off' (404), 'loopback' (requests from "
        "127.0.0.1 or ::1 only; behind a proxy on the same host the forwarded client address counts), or 'token' "
        "(anyone sending 'Authorization: Bearer <metrics_token>'). Never public without a token.",
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        min_length=16,
        description="The bearer token Prometheus sends with metrics_access=token (at least 16 characters).",
    )
    worker_metrics_port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        description="Port where `papertide worker` serves its own /metrics (job runs, mail sent), under the same "
        "metrics_access rules; it listens on 127.0.0.1 with 'loopback', on every address with 'token'. Unset: none. "
        "Several workers on one host need a port each.",
    )

    @model_validator(mode="after")
    def _metrics_token_when_needed(self) -> Settings:
        if self.metrics_access == "token" and self.metrics_token is None:
            raise ValueError("metrics_access is 'token' but metrics_token is not set")
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_path = _config_file()
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if toml_path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_path))
        return tuple(sources)

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'papertide.db'}"

    def vectors_in_database(self, backend: str) -> bool:
        """Whether embeddings come from the database for a store of ``backend`` (a store's ``backend``)."""
        return self.vectors_in_db if self.vectors_in_db is not None else backend == "postgresql"

    def index_follow_interval(self, backend: str) -> float:
        """Seconds between a web node's index catch-ups for a store of ``backend`` (0: it does not follow)."""
        if self.index_follow_s is not None:
            return self.index_follow_s
        return 10.0 if self.vectors_in_database(backend) else 0.0

    @property
    def mail_dir(self) -> Path:
        """The Maildir that receives messages when no SMTP relay is configured."""
        return self.data_dir / "mail"

    @property
    def secure_cookies(self) -> bool:
        return (self.base_url or "").startswith("https://")

    @property
    def site_url(self) -> str:
        """Where links made outside any request point: base_url, else where `papertide serve` listens by default."""
        return (self.base_url or DEFAULT_SITE_URL).rstrip("/")

    @field_validator("base_url")
    @classmethod
    def _absolute_url(cls, value: str | None) -> str | None:
        if not value:  # PAPERTIDE_BASE_URL= (empty) reads as unset
            return None
        parts = urlsplit(value)
        try:
            parts.port  # noqa: B018 - raises for a port out of range
        except ValueError:
            parts = parts._replace(netloc="")
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise ValueError(f"{value!r} is not an http(s) URL such as https://papers.example.org")
        return value.rstrip("/")

    @property
    def index_dir(self) -> Path:
        """Where search indexes built from the store are kept (next to a SQLite database)."""
        return self.data_dir / "index"


def _config_file() -> Path | None:
    explicit = os.environ.get("PAPERTIDE_CONFIG")
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"PAPERTIDE_CONFIG names {path}, which is not a file")
        return path
    data_dir = Path(os.environ.get("PAPERTIDE_DATA_DIR") or default_data_dir())
    candidate = data_dir / "papertide.toml"
    return candidate if candidate.is_file() else None


def load_settings(**overrides: object) -> Settings:
    """Build the settings, turning validation errors into a :class:`ConfigError` that names the field."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"invalid configuration: {problems}") from None
