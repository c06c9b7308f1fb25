"""Digests in the database: subscriptions, the outbox, bounces."""
