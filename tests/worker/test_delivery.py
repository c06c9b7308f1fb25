"""Sending the outbox to a real SMTP server (aiosmtpd): one connection, retries with backoff, failures, bounces."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select

from papertide.config import Settings, load_settings
from papertide.digest.send import Delivery, DeliveryPolicy, mailer_relay
from papertide.mail import Mailer, compose
from papertide.mail.dkim import wire_bytes
from papertide.mail.maildir import read_maildir
from papertide.store.db.schema import digest_outbox
from papertide.store.digest.bounces import BouncePolicy, BounceStore
from papertide.store.digest.outbox import NewDigest, OutboxStore, outbox_key
from papertide.store.digest.subscriptions import Subscription, SubscriptionStore
from tests.clock import ControlledClock
from tests.mail_server import MailServer
from tests.worker.conftest import subscribe

PERIOD = "2026-03-02"
POLICY = DeliveryPolicy(batch=4, lease_s=300, retry_base_s=60, retry_max_s=3600, max_attempts=4)


def rendered(settings: Settings, subscription: Subscription, clock: ControlledClock) -> NewDigest:
    key = outbox_key(subscription.pk, PERIOD)
    message = compose(
        settings,
        to=subscription.email,
        subject=f"Your papers for {PERIOD}",
        text="Three new papers.",
        html="<p>Three new papers.</p>",
        message_id=key,
        date=clock(),
    )
    return NewDigest(subscription.pk, PERIOD, subscription.email, wire_bytes(message), (1, 2, 3))


class Setup:
    def __init__(self, settings: Settings, engine: Engine, clock: ControlledClock, count: int) -> None:
        self.clock = clock
        self.subscriptions = subscribe(engine, count)
        self.outbox = OutboxStore(engine, clock)
        self.bounces = BounceStore(engine, clock, BouncePolicy())
        for subscription in self.subscriptions:
            self.outbox.enqueue(rendered(settings, subscription, clock))
        mailer = Mailer.from_settings(settings)
        self.delivery = Delivery(self.outbox, self.bounces, lambda: mailer_relay(mailer), POLICY)

    def row(self, n: int):
        return self.outbox.get(outbox_key(self.subscriptions[n].pk, PERIOD))


@pytest.fixture
def setup(mail_settings: Settings, engine: Engine, clock: ControlledClock) -> Setup:
    return Setup(mail_settings, engine, clock, 6)


def message_keys(server: MailServer) -> list[str]:
    return [m["Message-ID"].strip("<>").split("@")[0] for m in server.messages]


def test_every_digest_is_sent_once_over_one_connection_per_batch(setup: Setup, smtp_server: MailServer) -> None:
    report = setup.delivery.run("w")

    assert (report.sent, report.skipped, report.retried, report.failed, report.lost) == (6, 0, 0, 0, 0)
    assert sorted(message_keys(smtp_server)) == sorted(outbox_key(s.pk, PERIOD) for s in setup.subscriptions)
    assert [m.envelope_to for m in smtp_server.messages] == [[s.email] for s in setup.subscriptions]
    assert len({m.peer for m in smtp_server.messages}) == 2  # batches of 4: two connections for six
    assert setup.outbox.counts()["sent"] == 6
    assert setup.delivery.run("w").sent == 0  # nothing is sent twice


def test_a_4xx_is_retried_with_exponential_backoff_then_sent(
    mail_settings: Settings, engine: Engine, clock: ControlledClock, smtp_server: MailServer
) -> None:
    setup = Setup(mail_settings, engine, clock, 1)
    smtp_server.fail_next(451, "4.3.0 try again later", stage="rcpt", times=3)
    waits = []
    for _ in range(3):
        report = setup.delivery.run("w")
        assert report.retried == 1
        row = setup.row(0)
        waits.append(row.next_attempt_at - setup.clock())
        setup.clock.now = row.next_attempt_at
    assert waits == [timedelta(seconds=60), timedelta(seconds=120), timedelta(seconds=240)]
    assert (row.state, row.attempts, row.smtp_code, row.uncertain) == ("pending", 3, 451, 0)
    assert "451 4.3.0 try again later" in row.detail

    assert setup.delivery.run("w").sent == 1
    assert setup.row(0).state == "sent"
    assert setup.row(0).attempts == 4
    assert message_keys(smtp_server).count(outbox_key(setup.subscriptions[0].pk, PERIOD)) == 1
    assert setup.bounces.score(setup.subscriptions[0].email) == pytest.approx(0.5, rel=0.01)  # soft, once that day


def test_a_transient_failure_past_the_last_attempt_is_recorded_as_failed(setup: Setup, smtp_server: MailServer) -> None:
    smtp_server.refuse(setup.subscriptions[0].email, 452, "4.2.2 mailbox full")
    for _ in range(4):
        setup.delivery.run("w")
        setup.clock.advance(hours=1)
    row = setup.row(0)
    assert (row.state, row.attempts, row.smtp_code) == ("failed", 4, 452)
    assert row.detail.startswith("gave up after 4 attempts: ")
    assert setup.outbox.counts()["sent"] == 5


def test_a_5xx_is_recorded_as_failed_with_a_hard_bounce(setup: Setup, smtp_server: MailServer) -> None:
    gone = setup.subscriptions[1].email
    smtp_server.refuse(gone, 550, "5.1.1 no such mailbox")

    report = setup.delivery.run("w")

    assert (report.sent, report.failed) == (5, 1)
    row = setup.row(1)
    assert (row.state, row.smtp_code, row.attempts) == ("failed", 550, 1)
    assert "5.1.1 no such mailbox" in row.detail
    assert setup.bounces.score(gone) == 1.0
    assert gone not in [m.envelope_to[0] for m in smtp_server.messages]
    setup.clock.advance(days=30)
    assert setup.delivery.run("w").sent == 0  # a failed digest is not tried again


def test_a_refused_sender_fails_the_message_but_scores_no_bounce(setup: Setup, smtp_server: MailServer) -> None:
    smtp_server.fail_next(553, "5.7.1 sender not allowed", stage="mail")
    setup.delivery.run("w")
    assert setup.row(0).state == "failed"
    assert setup.bounces.score(setup.subscriptions[0].email) == 0.0  # not the recipient's fault


def test_a_suspended_address_gets_nothing(setup: Setup, smtp_server: MailServer) -> None:
    suspended = setup.subscriptions[2].email
    for _ in range(4):
        setup.bounces.record(suspended, hard=True, reason="550 gone")
        setup.clock.advance(days=1)
    assert setup.bounces.suspension(suspended) is not None

    report = setup.delivery.run("w")

    assert (report.sent, report.failed) == (5, 1)
    assert (setup.row(2).state, setup.row(2).detail) == ("failed", "address suspended")
    assert suspended not in [m.envelope_to[0] for m in smtp_server.messages]


def test_an_unreachable_relay_leaves_the_batch_waiting(
    mail_settings: Settings, engine: Engine, clock: ControlledClock, smtp_server: MailServer
) -> None:
    down = mail_settings.model_copy(update={"smtp_port": _closed_port(), "smtp_timeout_s": 2.0})
    setup = Setup(down, engine, clock, 6)

    report = setup.delivery.run("w")

    assert report.relay_down and report.sent == 0
    first = setup.row(0)  # the message in hand when the connection failed: one attempt, possibly delivered
    assert (first.state, first.attempts, first.uncertain) == ("pending", 1, 1)
    rest = [setup.row(n) for n in range(1, 4)]
    assert {(r.state, r.attempts, r.uncertain) for r in rest} == {("pending", 0, 0)}
    assert {r.next_attempt_at for r in rest} == {clock() + timedelta(seconds=60)}
    assert setup.bounces.score(setup.subscriptions[0].email) == 0.0


def _closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_what_the_relay_receives_is_the_stored_message_byte_for_byte(setup: Setup, smtp_server: MailServer) -> None:
    setup.delivery.run("w")
    stored = {row.key: row for row in setup.outbox.rows()}
    with setup.outbox.engine.connect() as conn:
        messages = dict(conn.execute(select(digest_outbox.c.key, digest_outbox.c.message)).all())
    for received in smtp_server.messages:
        key = received["Message-ID"].strip("<>").split("@")[0]
        assert stored[key].state == "sent"
        assert received.raw == messages[key]  # nothing re-encoded or refolded: a DKIM signature would hold


def test_without_a_relay_digests_go_to_the_maildir(tmp_path, engine: Engine, clock: ControlledClock) -> None:
    settings = load_settings(data_dir=tmp_path)  # no smtp_host: the Maildir, as `make run` has it
    setup = Setup(settings, engine, clock, 2)

    assert setup.delivery.run("w").sent == 2
    delivered = read_maildir(settings.mail_dir)
    assert sorted(m.message["To"] for m in delivered) == sorted(s.email for s in setup.subscriptions)
    assert {m.message["Message-ID"].strip("<>").split("@")[0] for m in delivered} == {
        outbox_key(s.pk, PERIOD) for s in setup.subscriptions
    }


def test_unsubscribing_stops_a_digest_composed_but_not_sent(setup: Setup, smtp_server: MailServer) -> None:
    leaving = setup.subscriptions[3]
    assert SubscriptionStore(setup.outbox.engine).unsubscribe(leaving.pk)

    report = setup.delivery.run("w")

    assert (report.sent, report.skipped) == (5, 1)
    assert (setup.row(3).state, setup.row(3).detail) == ("skipped", "unsubscribed before it was sent")
    assert leaving.email not in [m.envelope_to[0] for m in smtp_server.messages]


def test_meanwhile_sends_while_the_outbox_is_filled_and_stops_with_it(
    mail_settings: Settings, engine: Engine, clock: ControlledClock, smtp_server: MailServer
) -> None:
    setup = Setup(mail_settings, engine, clock, 3)
    late = subscribe(engine, 2, first=4)  # two more subscribers, whose digests are stored while the thread runs

    with setup.delivery.meanwhile("w") as report:
        smtp_server.wait_for(3)  # the first ones left before the body ended
        for subscription in late:
            setup.outbox.enqueue(rendered(mail_settings, subscription, clock))
        smtp_server.wait_for(5)
    assert (report.sent, report.failed, report.lost) == (5, 0, 0)
    assert sorted(message_keys(smtp_server)) == sorted(outbox_key(s.pk, PERIOD) for s in [*setup.subscriptions, *late])
    assert setup.delivery.run("w").sent == 0


def test_meanwhile_ends_with_its_body_when_nothing_is_due_or_the_relay_is_down(
    mail_settings: Settings, engine: Engine, clock: ControlledClock
) -> None:
    down = load_settings(data_dir=mail_settings.data_dir, smtp_host="127.0.0.1", smtp_port=9, smtp_security="none")
    setup = Setup(down, engine, clock, 2)
    with setup.delivery.meanwhile("w") as report:
        time.sleep(0.5)  # long enough to try: the relay refuses, the rows wait for their retry, the thread ends
    assert report.relay_down and report.sent == 0
    assert setup.outbox.counts().get("sent", 0) == 0

    with setup.delivery.meanwhile("w") as report:
        pass  # nothing is due now (the rows wait for their retry): the thread ends with the body
    assert report.as_dict() == {"sent": 0, "skipped": 0, "retried": 0, "failed": 0, "lost": 0, "relay_down": False}
