"""Digests: who gets one (subscriptions, preferences, alerts), what it holds, and how it reads. No HTTP here.

The sender (the worker) uses this package through these calls, each with a guarantee:

- ``SubscriptionStore.active_after(pk)`` (:mod:`papertide.store.digest.subscriptions`): the active subscribers,
  a chunk at a time. Only confirmed addresses are ever active; unsubscribing takes effect at once.
- :func:`papertide.digest.schedule.due_period` ``(subscription, now) -> Period | None``: the period
  due now in the subscriber's zone and hour, None if none is (paused, not yet confirmed, recorded).
  ``Period.key`` (the local delivery day) with the subscription pk keys the outbox row and the
  Message-ID (:func:`papertide.store.digest.outbox.outbox_key`).
- ``Composer(settings, store, engine, subscriptions, accounts, trending, for_you).compose(subscription, period)``
  (:mod:`papertide.digest.compose`) ``-> ComposedDigest | None``: None means nothing new (the
  sender records a skip). Reads stored state only, never sends, never records: composing twice
  gives the same digest until one is recorded. One Composer serves many subscribers (it caches
  each window's arrivals and trending lists).
- ``DigestMail(settings, signer).message(digest, date=now) -> EmailMessage``
  (:mod:`papertide.digest.render`): multipart text + HTML, ``DigestMail.headers(subscription)``
  (RFC 8058 one-click List-Unsubscribe), Message-ID ``<outbox_key(pk, period.key)@domain>``,
  DKIM-signed when configured. Store and send the bytes of
  :func:`papertide.mail.dkim.wire_bytes`: they are what was signed.
- :func:`papertide.store.digest.subscriptions.record_digest` ``(conn, subscription_pk, period.key, period.cutoff,
  digest.paper_pks, at)``: in the sender's transaction, beside its outbox row (an empty list for
  a skip). Moves the subscriber's window on; a paper already sent raises Conflict, so nothing
  goes twice.
"""
