"""Tables of the paper store (SQLAlchemy Core), the same for SQLite and PostgreSQL.

Papers get a surrogate integer key ``pk`` that search indexes use as their document id; the
public id (``paper_id``) is the arXiv id without version, or a namespaced id for other sources.
``change_seq`` increases with every insert or change, so indexers can catch up incrementally.
Alembic migrations in ``migrations/versions`` create these tables; keep both in step.
"""

from __future__ import annotations

from sqlalchemy import (
    DDL,
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
)

from papertide.model import MAX_AUTHOR_LENGTH, MAX_CATEGORY_LENGTH, MAX_ID_LENGTH, MAX_SOURCE_LENGTH
from papertide.store.db.vector_column import EmbeddingVector

metadata = MetaData()

# Every table's key is an INTEGER column: 64 bits on SQLite, 32 on PostgreSQL. A key from outside (a URL,
# a cursor, a link) above this never reaches a query: on PostgreSQL it would be an error, not a miss.
MAX_KEY = 2**31 - 1

papers = Table(
    "papers",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("paper_id", String(MAX_ID_LENGTH), nullable=False, unique=True),
    Column("version", Integer, nullable=False),
    Column("title", Text, nullable=False, comment="display form: TeX accents resolved, whitespace folded"),
    Column("abstract", Text, nullable=False),
    Column("authors", JSON, nullable=False, comment="display names, in order"),
    Column("title_raw", Text, nullable=False, comment="as the source gave it"),
    Column("abstract_raw", Text, nullable=False),
    Column("authors_raw", JSON, nullable=False),
    Column("categories", JSON, nullable=False, comment="primary first"),
    Column("primary_category", String(MAX_CATEGORY_LENGTH)),
    Column("submitted_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True)),
    Column("doi", Text),
    Column("journal_ref", Text),
    Column("comments", Text),
    Column("url_abs", Text),
    Column("url_pdf", Text),
    Column("url_code", Text),
    Column("url_project", Text, comment="the paper's project page"),
    Column("links_source", String(MAX_SOURCE_LENGTH), comment="the source that gave url_code and url_project"),
    Column("license", Text, comment="the licence's URL, as arXiv gives it"),
    Column("ai_summary", Text, comment="Hugging Face's machine-written summary"),
    Column("ai_keywords", JSON, comment="Hugging Face's machine-chosen keywords; null: none"),
    Column("source", String(MAX_SOURCE_LENGTH), nullable=False),
    Column("versions", JSON, nullable=False),
    Column("content_hash", String(32), nullable=False),
    Column("change_seq", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("modified_at", DateTime(timezone=True), nullable=False),
    Column("listed_at", DateTime(timezone=True), nullable=False, comment="newest-first key: submitted, else stored"),
    Column("title_key", Text, comment="text.title_key(title): how an imported reference finds the paper by title"),
    Column("doi_key", Text, comment="model.normalize_doi(doi): the DOI lower-cased, for import matching"),
    Index("ix_papers_submitted_at", "submitted_at"),
    Index("ix_papers_listed_at", "listed_at", "pk"),
    Index("ix_papers_change_seq", "change_seq"),
    Index("ix_papers_title_key", "title_key"),
    Index("ix_papers_doi_key", "doi_key"),
    Index("ix_papers_created_at", "created_at"),
)

paper_categories = Table(
    "paper_categories",
    metadata,
    Column("paper_pk", Integer, ForeignKey("papers.pk", ondelete="CASCADE"), primary_key=True),
    Column("category", String(MAX_CATEGORY_LENGTH), primary_key=True),
    Index("ix_paper_categories_category", "category", "paper_pk"),
)

# -- author names ----------------------------------------------------------------------------
# Every spelling of an author's name the library has held, by papertide.author_names.name_key: what an
# author page needs to tell whether initials ("j smith") stand for exactly one full name. Papers are
# found by the lexical index's author field, which keeps the same words.

author_names = Table(
    "author_names",
    metadata,
    Column("name_key", String(MAX_AUTHOR_LENGTH), primary_key=True, comment="author_names.name_key(name)"),
    Column("initials_key", String(MAX_AUTHOR_LENGTH), comment="its initials form, for full names only"),
    Index("ix_author_names_initials_key", "initials_key"),
)

paper_signals = Table(
    "paper_signals",
    metadata,
    Column("paper_pk", Integer, ForeignKey("papers.pk", ondelete="CASCADE"), primary_key=True),
    Column("name", String(32), primary_key=True),
    Column("observed_at", DateTime(timezone=True), primary_key=True),
    Column("value", Float, nullable=False),
    Index("ix_paper_signals_observed_at", "observed_at"),
)

checkpoints = Table(
    "checkpoints",
    metadata,
    Column("key", String(512), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


# -- accounts -------------------------------------------------------------------------------
# Secrets (sign-in links, session cookies, API tokens) are stored only as SHA-256 hex digests:
# a copy of the database signs nobody in.

users = Table(
    "users",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("email", String(254), nullable=False, unique=True, comment="lower-cased; the account's identity"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True)),
)

login_tokens = Table(
    "login_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("email", String(254), nullable=False),
    Column("next_url", Text, nullable=False, comment="where the link leads after signing in (a local path)"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True), comment="set once: a link signs in one time only"),
    Index("ix_login_tokens_expires_at", "expires_at"),
)

sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_pk", Integer, ForeignKey("users.pk", ondelete="CASCADE"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("user_agent", Text),
    Index("ix_sessions_user_pk", "user_pk"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("user_pk", Integer, ForeignKey("users.pk", ondelete="CASCADE"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_used_at", DateTime(timezone=True)),
    Column(
        "scope", String(8), nullable=False, server_default="write", comment="'read' (GET only) or 'write' (all)"
    ),
    Index("ix_api_tokens_user_pk", "user_pk"),
)

rate_limit_hits = Table(
    "rate_limit_hits",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("bucket", String(300), nullable=False, comment="what is limited and for whom, e.g. 'sign-in:addr:x@y'"),
    Column("at", DateTime(timezone=True), nullable=False),
    Index("ix_rate_limit_hits_bucket_at", "bucket", "at"),
)

# -- search texts too long for a URL ------------------------------------------------------------
# A long query or pasted abstract, kept so that its result page has a short address (/search?text_id=).
# The id is a digest of the text: saving the same text again finds the same row.

search_texts = Table(
    "search_texts",
    metadata,
    Column("text_id", String(32), primary_key=True, comment="digest of the text, as the URL carries it"),
    Column("text", Text, nullable=False),
    Column("saved_at", DateTime(timezone=True), nullable=False, comment="last time a search form sent it"),
    Index("ix_search_texts_saved_at", "saved_at"),
)

# -- library: votes and collections -----------------------------------------------------------

votes = Table(
    "votes",
    metadata,
    Column("user_pk", Integer, ForeignKey("users.pk", ondelete="CASCADE"), primary_key=True),
    Column("paper_pk", Integer, ForeignKey("papers.pk", ondelete="CASCADE"), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_votes_paper_pk", "paper_pk", "created_at"),
    Index("ix_votes_created_at", "created_at"),
)

collections = Table(
    "collections",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("user_pk", Integer, ForeignKey("users.pk", ondelete="CASCADE"), nullable=False),
    Column("public_id", String(32), nullable=False, unique=True, comment="random; the stable URL of a collection"),
    Column("name", String(100), nullable=False),
    Column("is_default", Boolean, nullable=False, default=False, comment="the 'Saved' collection every user has"),
    Column("is_public", Boolean, nullable=False, default=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("user_pk", "name", name="uq_collections_user_name"),
)

collection_items = Table(
    "collection_items",
    metadata,
    Column("collection_pk", Integer, ForeignKey("collections.pk", ondelete="CASCADE"), primary_key=True),
    Column("paper_pk", Integer, ForeignKey("papers.pk", ondelete="CASCADE"), primary_key=True),
    Column("added_at", DateTime(timezone=True), nullable=False),
    Column("note", Text, nullable=False, default=""),
    Index("ix_collection_items_collection_added", "collection_pk", "added_at"),
    Index("ix_collection_items_paper_pk", "paper_pk"),
)

# -- digests: subscriptions, their confirmation links and alerts, and what each was sent -----------
# A subscription belongs to an email address (and to the account of that address, when there is
# one: deleting the account deletes it). Unsubscribing keeps the row, so the history below still
# keeps a paper out of every later digest to that address if it subscribes again.

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("email", String(254), nullable=False, unique=True, comment="lower-cased"),
    Column("user_pk", Integer, ForeignKey("users.pk", ondelete="CASCADE")),
    Column("status", String(16), nullable=False, comment="pending | active | unsubscribed"),
    Column("preferences", JSON, nullable=False, comment="papertide.digest.preferences.Preferences as a dict"),
    Column("nonce", String(32), nullable=False, comment="part of every signed manage link; rotating it revokes them"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("confirmed_at", DateTime(timezone=True)),
    Column("unsubscribed_at", DateTime(timezone=True)),
    Column("last_cutoff", DateTime(timezone=True), comment="cutoff of the last digest recorded (sent or skipped)"),
    Index("ix_subscriptions_status", "status"),
    Index("ix_subscriptions_user_pk", "user_pk"),
)

subscription_confirmations = Table(
    "subscription_confirmations",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("subscription_pk", Integer, ForeignKey("subscriptions.pk", ondelete="CASCADE"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True), comment="set once: a confirmation link works one time only"),
    Index("ix_subscription_confirmations_subscription_pk", "subscription_pk"),
)

alerts = Table(
    "alerts",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("subscription_pk", Integer, ForeignKey("subscriptions.pk", ondelete="CASCADE"), nullable=False),
    Column("kind", String(16), nullable=False, comment="search | author"),
    Column("value", Text, nullable=False, comment="the search query, or the author's name"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("subscription_pk", "kind", "value", name="uq_alerts_subscription_kind_value"),
)

digest_papers = Table(
    "digest_papers",
    metadata,
    Column("subscription_pk", Integer, ForeignKey("subscriptions.pk", ondelete="CASCADE"), primary_key=True),
    Column("paper_pk", Integer, ForeignKey("papers.pk", ondelete="CASCADE"), primary_key=True),
    Column("period", String(10), nullable=False, comment="the digest's period key (its local delivery day)"),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Index("ix_digest_papers_subscription_period", "subscription_pk", "period"),
)

# -- the worker: digest outbox, bounce scores, job leases ------------------------------------
# One outbox row per digest and period; its key is also the unique part of the Message-ID, so a
# digest sent twice is recognisable as the same digest (see papertide.worker.outbox).

digest_outbox = Table(
    "digest_outbox",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("key", String(200), nullable=False, unique=True, comment="the Message-ID's unique part"),
    Column(
        "subscription_pk",
        Integer,
        ForeignKey("subscriptions.pk", ondelete="CASCADE"),
        nullable=False,
        comment="deleting a subscription (its account deleted) deletes its digests",
    ),
    Column("period", String(16), nullable=False, comment="the digest's period key (its local delivery day)"),
    Column("address", String(254), nullable=False),
    Column("state", String(10), nullable=False, comment="pending, sending, sent, failed or skipped"),
    Column("message", LargeBinary, comment="the rendered RFC 5322 message; emptied some days after sending"),
    Column("paper_pks", JSON, nullable=False),
    Column("attempts", Integer, nullable=False, comment="times handed to the SMTP relay"),
    Column("uncertain", Integer, nullable=False, comment="times reclaimed after a hand-over that never concluded"),
    Column("handoff_at", DateTime(timezone=True), comment="set during an SMTP transaction, cleared after it"),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("claimed_by", String(100)),
    Column("claim_token", String(32)),
    Column("lease_until", DateTime(timezone=True)),
    Column("detail", Text, comment="why it was skipped, is retried or failed"),
    Column("smtp_code", Integer),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
    UniqueConstraint("subscription_pk", "period", name="uq_digest_outbox_subscription_period"),
    Index("ix_digest_outbox_state_next", "state", "next_attempt_at"),
)

mail_bounces = Table(
    "mail_bounces",
    metadata,
    Column("address", String(254), primary_key=True, comment="lower-cased"),
    Column("score", Float, nullable=False, comment="as of scored_at; decays from there (papertide.store.bounces)"),
    Column("scored_at", DateTime(timezone=True), nullable=False),
    Column("counted_on", String(10), nullable=False, comment="UTC day of the last bounce counted"),
    Column("counted_weight", Float, nullable=False, comment="what that day's bounces added"),
    Column("bounces", Integer, nullable=False),
    Column("last_reason", Text),
    Column("suspended_at", DateTime(timezone=True)),
)

worker_jobs = Table(
    "worker_jobs",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("holder", String(100), comment="the worker running it now"),
    Column("lease_until", DateTime(timezone=True)),
    Column("run_key", String(64), comment="the run held now or last (e.g. the day of a daily job)"),
    Column("done_key", String(64), comment="the last run that finished: a run key runs once"),
    Column("state", String(10), nullable=False, comment="idle, running, done or failed"),
    Column("retry_at", DateTime(timezone=True), comment="after a failure, not before"),
    Column("started_at", DateTime(timezone=True)),
    Column("finished_at", DateTime(timezone=True)),
    Column("runs", Integer, nullable=False),
    Column("detail", JSON, comment="what the last run did, or why it failed"),
)

worker_processes = Table(
    "worker_processes",
    metadata,
    Column("worker_id", String(100), primary_key=True),
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("seen_at", DateTime(timezone=True), nullable=False),
    Column("step", String(64), comment="what it is doing now; null when idle"),
    Column("stopped_at", DateTime(timezone=True)),
)

# -- trending ---------------------------------------------------------------------------------
# Derived state (see papertide.trending): rebuildable from votes, users, paper_signals and papers.

trending_changes = Table(
    "trending_changes",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("paper_pk", Integer, nullable=False, comment="a paper whose votes or signals changed"),
    comment="written by triggers on votes and paper_signals; consumed by the trending refresh",
)

TRENDING_WINDOWS = ("day", "week", "month")
TRENDING_PARTS = (
    ("upvotes", Integer, "votes cast in the window"),
    ("counted", Float, "their weight after the anti-abuse rules"),
    ("hf_upvotes", Float, "Hugging Face upvotes gained in the window"),
    ("github_stars", Float, "GitHub stars gained in the window"),
)

trending_papers = Table(
    "trending_papers",
    metadata,
    Column("paper_pk", Integer, ForeignKey("papers.pk", ondelete="CASCADE"), primary_key=True),
    Column("generation", Integer, nullable=False, comment="the refresh that wrote this row"),
    Column("listed_at", DateTime(timezone=True), nullable=False, comment="the paper's, for its age"),
    *(
        Column(f"{window}_{part}", kind, nullable=False, comment=comment)
        for window in TRENDING_WINDOWS
        for part, kind, comment in TRENDING_PARTS
    ),
    Index("ix_trending_papers_generation", "generation"),
    Index("ix_trending_papers_listed_at", "listed_at"),
    comment="the attention of every paper that drew some in the past month, as of trending_state.as_of",
)

trending_removed = Table(
    "trending_removed",
    metadata,
    Column("paper_pk", Integer, primary_key=True),
    Column("generation", Integer, nullable=False, comment="the refresh that found it drew no attention any more"),
    Column("removed_at", DateTime(timezone=True), nullable=False),
    comment="recent removals from trending_papers, so readers can follow incrementally; purged after an hour",
)

trending_state = Table(
    "trending_state",
    metadata,
    Column("id", Integer, primary_key=True, comment="always 1"),
    Column("generation", Integer, nullable=False, comment="bumped by every refresh (compare-and-set)"),
    Column("as_of", DateTime(timezone=True), nullable=False),
    Column("papers_seq", Integer, nullable=False, comment="papers.change_seq seen by the last refresh"),
    Column("purged_generation", Integer, nullable=False, comment="readers older than this reload everything"),
    Column("vote_rules", String(200), nullable=False, comment="the anti-abuse settings the rows were built with"),
)

# Every vote cast or withdrawn (also by an account's deletion) and every new signal observation
# notes its paper, whatever code path wrote it. Migration 0004 creates the same triggers.
TRENDING_TRIGGERS = {
    "sqlite": [
        "CREATE TRIGGER trending_vote_added AFTER INSERT ON votes "
        "BEGIN INSERT INTO trending_changes (paper_pk) VALUES (NEW.paper_pk); END",
        "CREATE TRIGGER trending_vote_removed AFTER DELETE ON votes "
        "BEGIN INSERT INTO trending_changes (paper_pk) VALUES (OLD.paper_pk); END",
        "CREATE TRIGGER trending_signal_added AFTER INSERT ON paper_signals "
        "BEGIN INSERT INTO trending_changes (paper_pk) VALUES (NEW.paper_pk); END",
    ],
    "postgresql": [
        "CREATE FUNCTION trending_note_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF TG_OP = 'DELETE' THEN INSERT INTO trending_changes (paper_pk) VALUES (OLD.paper_pk); RETURN OLD; END IF; "
        "INSERT INTO trending_changes (paper_pk) VALUES (NEW.paper_pk); RETURN NEW; END $$",
        "CREATE TRIGGER trending_vote_changed AFTER INSERT OR DELETE ON votes "
        "FOR EACH ROW EXECUTE FUNCTION trending_note_change()",
        "CREATE TRIGGER trending_signal_added AFTER INSERT ON paper_signals "
        "FOR EACH ROW EXECUTE FUNCTION trending_note_change()",
    ],
}
for _dialect, _statements in TRENDING_TRIGGERS.items():
    for _statement in _statements:
        event.listen(metadata, "after_create", DDL(_statement).execute_if(dialect=_dialect))


# -- embeddings kept in the database (PostgreSQL deployments) ---------------------------------
# One vector per paper and model, written by whichever worker claimed the paper; every web node
# builds its local vector index from these rows instead of embedding anything itself.

EMBEDDING_DIM = 384  # all-MiniLM-L6-v2, the shipped model

paper_vectors = Table(
    "paper_vectors",
    metadata,
    Column("paper_pk", Integer, ForeignKey("papers.pk", ondelete="CASCADE"), primary_key=True),
    Column("model", String(64), primary_key=True, comment="embedder name and version, e.g. minilm@2"),
    Column("paper_seq", Integer, nullable=False, comment="the paper's change_seq when last checked"),
    Column("text_digest", BigInteger, nullable=False, comment="digest of the embedded title + abstract"),
    Column("vector", EmbeddingVector(EMBEDDING_DIM), nullable=False),
    Column("embedded_at", DateTime(timezone=True), nullable=False),
    Index("ix_paper_vectors_model_seq", "model", "paper_seq"),
)


# -- discussion: comments, their votes and reports; roles, suspensions, the moderation log -------
# Comments are never removed by their author or a moderator, only marked: a deleted comment with
# replies stays as a placeholder, a hidden one stays visible to its author and moderators. Keys
# grow with every comment, so "comments after pk N" is an incremental read (notifications, feeds).

comments = Table(
    "comments",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True, comment="grows with every comment"),
    Column("paper_pk", Integer, ForeignKey("papers.pk", ondelete="CASCADE"), nullable=False),
    Column(
        "user_pk",
        Integer,
        ForeignKey("users.pk", ondelete="SET NULL"),
        comment="null once the author's account is deleted (its comments are emptied first)",
    ),
    Column("parent_pk", Integer, ForeignKey("comments.pk", ondelete="CASCADE"), comment="null: a top-level comment"),
    Column("body", Text, nullable=False, comment="Markdown as written; emptied when deleted"),
    Column(
        "html",
        Text,
        nullable=False,
        comment="the body rendered and sanitised when written (papertide.discussion.render): pages only read it",
    ),
    Column("score", Integer, nullable=False, server_default="0", comment="its comment_votes, kept current"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("edited_at", DateTime(timezone=True)),
    Column("deleted_at", DateTime(timezone=True)),
    Column("hidden_at", DateTime(timezone=True), comment="set by a moderator: only author and moderators see it"),
    Column("hidden_note", Text, comment="the moderator's reason, shown with the hidden comment"),
    Index("ix_comments_paper_created", "paper_pk", "created_at", "pk"),
    Index("ix_comments_created_at", "created_at", "paper_pk"),
    Index("ix_comments_user_created", "user_pk", "created_at"),
    Index("ix_comments_parent_pk", "parent_pk"),
)

paper_discussions = Table(
    "paper_discussions",
    metadata,
    Column("paper_pk", Integer, ForeignKey("papers.pk", ondelete="CASCADE"), primary_key=True),
    Column("comments", Integer, nullable=False, comment="comments neither deleted nor hidden, kept current"),
    Column("last_comment_at", DateTime(timezone=True), nullable=False),
    Index("ix_paper_discussions_last_comment_at", "last_comment_at"),
    comment="one row per paper ever commented on: its count for cards, without counting rows",
)

comment_votes = Table(
    "comment_votes",
    metadata,
    Column("user_pk", Integer, ForeignKey("users.pk", ondelete="CASCADE"), primary_key=True),
    Column("comment_pk", Integer, ForeignKey("comments.pk", ondelete="CASCADE"), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_comment_votes_comment_pk", "comment_pk"),
)

comment_reports = Table(
    "comment_reports",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("comment_pk", Integer, ForeignKey("comments.pk", ondelete="CASCADE"), nullable=False),
    Column("reporter_pk", Integer, ForeignKey("users.pk", ondelete="CASCADE"), nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("resolved_at", DateTime(timezone=True), comment="set when a moderator acted on the comment"),
    Column("resolved_by", Integer, ForeignKey("users.pk", ondelete="SET NULL")),
    UniqueConstraint("comment_pk", "reporter_pk", name="uq_comment_reports_comment_reporter"),
    Index("ix_comment_reports_open", "resolved_at", "created_at"),
)

account_roles = Table(
    "account_roles",
    metadata,
    Column("user_pk", Integer, ForeignKey("users.pk", ondelete="CASCADE"), primary_key=True),
    Column("role", String(32), primary_key=True, comment="papertide.accounts.roles.ROLES, e.g. moderator, admin"),
    Column("granted_at", DateTime(timezone=True), nullable=False),
)

commenting_suspensions = Table(
    "commenting_suspensions",
    metadata,
    Column("user_pk", Integer, ForeignKey("users.pk", ondelete="CASCADE"), primary_key=True),
    Column("suspended_at", DateTime(timezone=True), nullable=False),
    Column("suspended_by", Integer, ForeignKey("users.pk", ondelete="SET NULL")),
    Column("note", Text, nullable=False),
)

# An admin's suspension of a whole account: no sign-in, no session, no API token works while it stands.
account_suspensions = Table(
    "account_suspensions",
    metadata,
    Column("user_pk", Integer, ForeignKey("users.pk", ondelete="CASCADE"), primary_key=True),
    Column("suspended_at", DateTime(timezone=True), nullable=False),
    Column("suspended_by", Integer, ForeignKey("users.pk", ondelete="SET NULL")),
    Column("note", Text, nullable=False),
)

moderation_log = Table(
    "moderation_log",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor_pk", Integer, ForeignKey("users.pk", ondelete="SET NULL"), comment="null: the command line"),
    Column("actor", String(254), nullable=False, comment="who, as shown: an address, or 'command line'"),
    Column("action", String(32), nullable=False, comment="hide, restore, dismiss, suspend, unsuspend, grant, revoke"),
    Column("target_kind", String(16), nullable=False, comment="comment or account"),
    Column("target_pk", Integer, nullable=False),
    Column("note", Text, nullable=False),
    Index("ix_moderation_log_at", "at"),
)


# -- following a discussion -----------------------------------------------------------------
# A follower's row stays when they stop (``following`` false), so that their older comments do not
# make them follow again; ``seen_pk`` is the last comment they were told about (or that predates
# their following). Notifications go through an outbox of the digests' shape (see
# papertide.store.digest.outbox), one row per follower, paper and hour window.

# Shown comments by time (partial: deleted and hidden ones are not in it): "most discussed this week"
# counts its entries alone (papertide.store.discussion.activity).
Index(
    "ix_comments_shown_created",
    comments.c.created_at,
    comments.c.paper_pk,
    sqlite_where=comments.c.deleted_at.is_(None) & comments.c.hidden_at.is_(None),
    postgresql_where=comments.c.deleted_at.is_(None) & comments.c.hidden_at.is_(None),
)

discussion_follows = Table(
    "discussion_follows",
    metadata,
    Column("user_pk", Integer, ForeignKey("users.pk", ondelete="CASCADE"), primary_key=True),
    Column("paper_pk", Integer, ForeignKey("papers.pk", ondelete="CASCADE"), primary_key=True),
    Column("following", Boolean, nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False, comment="when following last turned on or off"),
    Column("seen_pk", Integer, nullable=False, comment="comments up to this key need no notification"),
    Column("last_mail_at", DateTime(timezone=True), comment="when the last notification was enqueued"),
    Index("ix_discussion_follows_paper", "paper_pk", "following"),
)

discussion_outbox = Table(
    "discussion_outbox",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("key", String(200), nullable=False, unique=True, comment="the Message-ID's unique part"),
    Column("user_pk", Integer, ForeignKey("users.pk", ondelete="CASCADE"), nullable=False),
    Column("paper_pk", Integer, ForeignKey("papers.pk", ondelete="CASCADE"), nullable=False),
    Column("window", String(16), nullable=False, comment="the UTC hour the notification was enqueued in"),
    Column("address", String(254), nullable=False),
    Column("state", String(10), nullable=False, comment="pending, sending, sent, failed or skipped"),
    Column("message", LargeBinary),
    Column("comment_pks", JSON, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("uncertain", Integer, nullable=False),
    Column("handoff_at", DateTime(timezone=True)),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("claimed_by", String(100)),
    Column("claim_token", String(32)),
    Column("lease_until", DateTime(timezone=True)),
    Column("detail", Text),
    Column("smtp_code", Integer),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
    UniqueConstraint("user_pk", "paper_pk", "window", name="uq_discussion_outbox_follower_window"),
    Index("ix_discussion_outbox_state_next", "state", "next_attempt_at"),
)
