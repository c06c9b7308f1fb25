"""Rendering: the message as a mail client parses it, both parts, headers, links, escaping, DKIM."""

from __future__ import annotations

import email
import re
from email import policy
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path

import dkim
import pytest

from papertide.accounts.keys import Signer
from papertide.config import load_settings
from papertide.digest.compose import ComposedDigest
from papertide.digest.links import UNSUBSCRIBE
from papertide.digest.render import DigestMail
from papertide.errors import ConfigError, InvalidInput
from papertide.mail import Mailer
from papertide.mail.dkim import DkimKey, wire_bytes
from tests.conftest import FIXTURES
from tests.digest.conftest import World, at, paper
from tests.digest.test_compose import period

SIGNER = Signer(b"s" * 32)
DKIM_DIR = FIXTURES / "dkim"


def composed(world: World, **preferences: object) -> ComposedDigest:
    subscription = world.subscriber("zoe.reader@example.org", **preferences)
    world.arrive(
        [
            paper(1, "Attention is $O(n^2)$: fixing it in $\\mathbb{R}^d$", submitted=at(30, month=11), upvotes=12,
                  authors=("Zoë Ørsted", "Łukasz Kaiser", "Ada Lovelace", "Grace Hopper", "Alan Turing")),
            paper(2, "<script>alert('x')</script> & Tom & Jerry", submitted=at(30, month=11)),
        ],
        at=at(30, 20, month=11),
    )  # fmt: skip
    digest = world.composer.compose(subscription, period(subscription, 1))
    assert digest is not None
    return digest


def reparsed(message: EmailMessage) -> EmailMessage:
    """The message as a receiver parses the bytes that go over SMTP."""
    return email.message_from_bytes(wire_bytes(message), policy=policy.default)


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.sources: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        for name, value in attrs:
            if name == "href":
                self.hrefs.append(value or "")
            if name in ("src", "srcset", "background"):
                self.sources.append(value or "")


def test_a_digest_is_multipart_alternative_with_a_text_and_an_html_part(world: World) -> None:
    mail = DigestMail(world.settings, SIGNER)
    digest = composed(world)
    message = reparsed(mail.message(digest, date=at(1, 8)))
    assert message.get_content_type() == "multipart/alternative"
    text_part, html_part = message.iter_parts()
    assert text_part.get_content_type() == "text/plain" and html_part.get_content_type() == "text/html"
    assert text_part.get_content_charset() == "utf-8"
    text = text_part.get_content()
    assert "Attention is O(n²): fixing it in ℝ^d" in text  # TeX written readably
    assert "Zoë Ørsted, Łukasz Kaiser, Ada Lovelace et al." in text  # UTF-8 names
    assert "Why: New in cs.LG · 12 upvotes on Hugging Face" in text
    assert "https://papers.example.org/paper/2612.00001" in text


def test_headers_subject_date_message_id_and_one_click_unsubscribe(world: World) -> None:
    settings = load_settings(
        data_dir=world.settings.data_dir,
        base_url="https://papers.example.org",
        mail_from="Papertide Zürich <digest@papers.example.org>",
        mail_reply_to="help@papers.example.org",
        digest_unsubscribe_mailto="unsubscribe@papers.example.org",
    )
    mail = DigestMail(settings, SIGNER)
    digest = composed(world)
    message = reparsed(mail.message(digest, date=at(1, 8)))
    assert message["Subject"] == "2 new papers for you · papertide, Tuesday 1 December 2026"
    assert message["From"].addresses[0].display_name == "Papertide Zürich"
    assert message["Reply-To"] == "help@papers.example.org"
    assert message["To"] == digest.subscription.email
    assert message["Date"].datetime == at(1, 8)
    assert message["Message-ID"] == f"<digest.{digest.subscription.pk}.2026-12-01@papers.example.org>"
    token = mail.links.token(UNSUBSCRIBE, digest.subscription)
    assert message["List-Unsubscribe"] == (
        f"<https://papers.example.org/digest/unsubscribe/{token}>, "
        "<mailto:unsubscribe@papers.example.org?subject=unsubscribe>"
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # The raw header is plain ASCII, not an encoded word a client could not read as a URL.
    raw = wire_bytes(mail.message(digest, date=at(1, 8)))
    assert b"List-Unsubscribe: <https://papers.example.org/digest/unsubscribe/" in raw.replace(b"\r\n ", b" ")


def test_the_html_links_every_paper_absolutely_and_loads_nothing(world: World) -> None:
    mail = DigestMail(world.settings, SIGNER)
    digest = composed(world)
    html = mail.html(digest)
    links = _Links()
    links.feed(html)
    assert links.sources == [] and not links.tags & {"img", "script", "link", "iframe", "style", "object"}
    assert all(href.startswith("https://papers.example.org/") for href in links.hrefs), links.hrefs
    assert "https://papers.example.org/paper/2612.00001" in links.hrefs
    assert "https://papers.example.org/paper/2612.00002" in links.hrefs
    assert mail.links.manage_url(digest.subscription) in links.hrefs
    assert mail.links.unsubscribe_url(digest.subscription) in links.hrefs
    assert "New in cs.LG · 12 upvotes on Hugging Face" in html  # each item says why it is there


def test_titles_are_escaped_in_html_and_plain_in_text(world: World) -> None:
    mail = DigestMail(world.settings, SIGNER)
    digest = composed(world)
    html = mail.html(digest)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; Tom &amp; Jerry" in html
    assert "<script>alert('x')</script> & Tom & Jerry" in mail.text(digest)


def test_a_line_break_in_a_mailto_setting_is_refused_not_sent(world: World) -> None:
    settings = load_settings(
        data_dir=world.settings.data_dir, digest_unsubscribe_mailto="x@example.org>\r\nBcc: victim@example.org"
    )
    with pytest.raises(InvalidInput, match="line break"):
        DigestMail(settings, SIGNER).message(composed(world))


def dkim_settings(world: World, **extra: object):
    return load_settings(
        data_dir=world.settings.data_dir,
        base_url="https://papers.example.org",
        dkim_domain="papers.example.org",
        dkim_selector="digest2026",
        dkim_key_file=DKIM_DIR / "test-only-private.pem",
        **extra,
    )


def published_key(name: bytes, timeout: int = 5) -> bytes:
    """The DNS TXT record of the test key, as a resolver would answer for digest2026._domainkey."""
    assert name == b"digest2026._domainkey.papers.example.org."
    return (DKIM_DIR / "test-only-public.txt").read_bytes().strip()


def test_a_dkim_signature_verifies_and_breaks_when_the_message_changes(world: World) -> None:
    mail = DigestMail(dkim_settings(world), SIGNER)
    raw = wire_bytes(mail.message(composed(world), date=at(1, 8)))
    assert raw.count(b"DKIM-Signature:") == 1
    assert dkim.verify(raw, dnsfunc=published_key)
    assert not dkim.verify(raw.replace(b"Tom & Jerry", b"Tom & Jenny"), dnsfunc=published_key)
    assert not dkim.verify(re.sub(rb"unsubscribe/[^>]+>", b"unsubscribe/1.x>", raw, count=1), dnsfunc=published_key)


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ({"dkim_selector": None}, "dkim_selector unset"),
        ({"dkim_key_file": Path("/nonexistent/key.pem")}, "dkim_key_file: cannot read"),
        ({"dkim_key_file": DKIM_DIR / "test-only-public.txt"}, "is not a PEM private key"),
    ],
)
def test_a_half_or_wrongly_configured_dkim_key_is_a_clear_error(world: World, extra: dict, named: str) -> None:
    settings = dkim_settings(world).model_copy(update=extra)
    with pytest.raises(ConfigError, match=named):
        DkimKey.from_settings(settings)


def test_a_signed_digest_verifies_as_a_real_smtp_server_received_it(world: World, smtp_server) -> None:
    settings = dkim_settings(world, smtp_host=smtp_server.host, smtp_port=smtp_server.port, smtp_security="none")
    mail = DigestMail(settings, SIGNER)
    digest = composed(world)
    Mailer.from_settings(settings).send(mail.message(digest, date=at(1, 8)))
    received = smtp_server.wait_for(1)[0]
    assert received.envelope_to == [digest.subscription.email]
    assert dkim.verify(received.raw, dnsfunc=published_key)
    unfolded = received.raw.replace(b"\r\n ", b" ")
    assert b"List-Unsubscribe: <https://papers.example.org/digest/unsubscribe/" in unfolded


def test_every_mail_the_mailer_sends_is_signed_when_a_key_is_configured(world: World, smtp_server) -> None:
    settings = dkim_settings(world, smtp_host=smtp_server.host, smtp_port=smtp_server.port, smtp_security="none")
    subscription = world.subscriber("new@example.org")
    Mailer.from_settings(settings).send(DigestMail(settings, SIGNER).confirmation(subscription, "token"))
    received = smtp_server.wait_for(1)[0]
    assert received.raw.count(b"DKIM-Signature:") == 1
    assert dkim.verify(received.raw, dnsfunc=published_key)


def test_author_names_link_to_their_pages_in_both_parts(world: World) -> None:
    mail = DigestMail(world.settings, SIGNER)
    digest = composed(world)
    links = _Links()
    links.feed(mail.html(digest))
    assert "https://papers.example.org/author/Zo%C3%AB%20%C3%98rsted" in links.hrefs
    assert "https://papers.example.org/author/Ada%20Lovelace" in links.hrefs
    assert not any("Grace" in href for href in links.hrefs)  # "et al." names get no link
    text = mail.text(digest)
    assert re.search(r"Lovelace et al\.[^\n]*\n   Authors: https://", text)  # a line of its own, under the names
    assert (
        "   Authors: https://papers.example.org/author/Zo%C3%AB%20%C3%98rsted "
        "https://papers.example.org/author/%C5%81ukasz%20Kaiser https://papers.example.org/author/Ada%20Lovelace\n"
    ) in text
