"""Ingest sources: each module turns one real source into a stream of :class:`~papertide.ingest.sources.base.Item`."""
