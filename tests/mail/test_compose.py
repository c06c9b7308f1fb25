"""compose(): the shape and headers of every message, and the input it refuses."""

from __future__ import annotations

import email
from datetime import UTC, datetime, timedelta, timezone
from email.headerregistry import Address
from email.policy import default
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings as settings_hypothesis
from hypothesis import strategies as st

from papertide.config import Settings, load_settings
from papertide.errors import InvalidInput
from papertide.mail import Mailer, compose, parse_address
from tests.mail_server import MailServer


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(
        data_dir=tmp_path, base_url="https://papers.example.org", mail_from="papertide <hi@example.org>"
    )


def message(settings: Settings, **changes):
    fields = {"to": "reader@example.com", "subject": "Your sign-in link", "text": "Hello", "html": "<p>Hello</p>"}
    return compose(settings, **(fields | changes))


def test_multipart_alternative_text_first_then_html(settings: Settings) -> None:
    composed = message(settings, text="Plain words\n", html="<p>Rich words</p>\n")
    assert composed.get_content_type() == "multipart/alternative"
    parts = list(composed.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert parts[0].get_content() == "Plain words\n"
    assert parts[1].get_content() == "<p>Rich words</p>\n"
    assert all(p.get_content_charset() == "utf-8" for p in parts)
    assert composed["MIME-Version"] == "1.0"
    assert all("MIME-Version" not in p for p in parts)


def test_headers_from_settings_and_clock(settings: Settings) -> None:
    moment = datetime(2026, 3, 6, 7, 30, tzinfo=timezone(timedelta(hours=1)))
    composed = message(settings, date=moment)
    assert composed["From"].addresses[0] == Address("papertide", "hi", "example.org")
    assert composed["To"] == "reader@example.com"
    assert composed["Subject"] == "Your sign-in link"
    assert parsedate_to_datetime(composed["Date"]) == moment
    assert composed["Date"].endswith("+0000")
    assert composed["Message-ID"].startswith("<") and composed["Message-ID"].endswith("@papers.example.org>")
    assert "Reply-To" not in composed


def test_message_ids_are_unique_unless_the_caller_keys_them(settings: Settings) -> None:
    assert message(settings)["Message-ID"] != message(settings)["Message-ID"]
    keyed = message(settings, message_id="digest.42.2026-03-06")
    assert keyed["Message-ID"] == "<digest.42.2026-03-06@papers.example.org>"
    assert message(settings, message_id="digest.42.2026-03-06")["Message-ID"] == keyed["Message-ID"]


def test_message_id_domain_falls_back_to_the_from_address(tmp_path: Path) -> None:
    local = load_settings(data_dir=tmp_path, base_url="http://127.0.0.1:8000", mail_from="pt <pt@mail.example.net>")
    assert message(local)["Message-ID"].endswith("@mail.example.net>")


def test_reply_to_when_configured(tmp_path: Path) -> None:
    configured = load_settings(data_dir=tmp_path, mail_reply_to="Help Desk <help@example.org>")
    assert message(configured)["Reply-To"] == "Help Desk <help@example.org>"


def test_extra_headers_such_as_list_unsubscribe(settings: Settings) -> None:
    headers = {
        "List-Unsubscribe": "<https://papers.example.org/unsubscribe/abc>, <mailto:unsubscribe@example.org>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    composed = message(settings, headers=headers)
    for name, value in headers.items():
        assert composed[name] == value


def test_a_long_url_header_reaches_the_wire_as_written(settings: Settings) -> None:
    """Not as RFC 2047 encoded words, which the email package makes of a token longer than a line."""
    url = "https://papers.example.org/digest/unsubscribe/12." + "a1B2" * 11
    headers = {"List-Unsubscribe": f"<{url}>, <mailto:unsubscribe@example.org?subject=unsubscribe>"}
    composed = message(settings, headers=headers)
    wire = composed.as_bytes(policy=composed.policy.clone(linesep="\r\n"))  # as smtplib writes it
    assert f"List-Unsubscribe: <{url}>,\r\n <mailto:unsubscribe@example.org?subject=unsubscribe>\r\n".encode() in wire
    reread = email.message_from_bytes(wire, policy=default)
    assert reread["List-Unsubscribe"] == headers["List-Unsubscribe"]


def test_utf8_display_names_and_subjects_are_encoded_words(settings: Settings) -> None:
    composed = message(settings, to="Jörg Müller <jm@example.de>", subject="Neue Papiere für Sie — 5 Treffer")
    raw = composed.as_bytes()
    assert raw.isascii()  # encoded words and quoted-printable: 7-bit clean for any relay
    assert b"=?utf-8?" in raw
    assert composed["To"].addresses[0].display_name == "Jörg Müller"


def test_address_objects_and_idn_domains(settings: Settings) -> None:
    assert message(settings, to=Address("Zoë", "zoe", "example.org"))["To"] == "Zoë <zoe@example.org>"
    assert parse_address("a@münchen.de", field="to").domain == "xn--mnchen-3ya.de"
    assert parse_address("  Reader@Example.COM ", field="to").addr_spec == "Reader@example.com"


@pytest.mark.parametrize(
    "to",
    [
        "", "reader", "a@b@c.org", "a@", "@example.org", "a b@example.org", "a..b@example.org", ".a@example.org",
        "jö@example.org", "a@-bad-.org", "a@[127.0.0.1]", "a@exa_mple.org", "Name <a@example.org",
        "one@example.org, two@example.org", "x" * 65 + "@example.org", "a@" + "b" * 64 + ".org",
    ],
)  # fmt: skip
def test_invalid_recipient_is_refused_naming_the_field(settings: Settings, to: str) -> None:
    with pytest.raises(InvalidInput, match=r"^to: "):
        message(settings, to=to)


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("to", {"to": "reader@example.com\r\nBcc: victim@example.org"}),
        ("to", {"to": "Evil\nBcc: victim@example.org <reader@example.com>"}),
        ("to", {"to": Address("Evil\u2028Bcc: victim@example.org", "reader", "example.com")}),
        ("subject", {"subject": "Hello\r\nBcc: victim@example.org"}),
        ("subject", {"subject": "Hello\nthere"}),
        ("subject", {"subject": "Hello\rthere"}),
        ("subject", {"subject": "Hello\u2028there"}),  # a Unicode line separator ends a line for Python's parser
        ("subject", {"subject": "nul\x00"}),
        ("header List-Unsubscribe", {"headers": {"List-Unsubscribe": "<https://x>\r\nBcc: victim@example.org"}}),
    ],
)
def test_header_injection_is_refused_naming_the_field(settings: Settings, field: str, changes: dict) -> None:
    with pytest.raises(InvalidInput, match=rf"^{field}: .*(line break|control character)"):
        message(settings, **changes)


@pytest.mark.parametrize("name", ["X-Evil\r\nBcc", "X Space", "X-Colon:", "", "Ünicode"])
def test_bad_header_names_are_refused(settings: Settings, name: str) -> None:
    with pytest.raises(InvalidInput, match="header name"):
        message(settings, headers={name: "value"})


@pytest.mark.parametrize("name", ["From", "bcc", "Message-ID", "Subject", "Date"])
def test_headers_cannot_replace_what_compose_sets(settings: Settings, name: str) -> None:
    with pytest.raises(InvalidInput, match=f"{name}.*set by compose"):
        message(settings, headers={name: "someone@example.org"})


def test_empty_subject_and_bad_message_id_are_refused(settings: Settings) -> None:
    with pytest.raises(InvalidInput, match=r"^subject: must not be empty"):
        message(settings, subject="  ")
    for unique in ("has space", "a@b", "<x>", "", "trailing.", "x" * 201):
        with pytest.raises(InvalidInput, match=r"^message_id: "):
            message(settings, message_id=unique)


def test_a_bad_from_setting_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"^mail_from: "):
        message(load_settings(data_dir=tmp_path, mail_from="not an address"))
    with pytest.raises(InvalidInput, match=r"^mail_reply_to: "):
        message(load_settings(data_dir=tmp_path, mail_reply_to="help@example.org\nBcc: x@example.org"))


def test_utf8_and_long_lines_round_trip_through_a_real_smtp_server(
    mail_settings: Settings, smtp_server: MailServer
) -> None:
    long_line = "ω " * 600  # longer than SMTP's 998-octet line limit
    composed = compose(
        mail_settings,
        to="Łukasz Żółć <lukasz@example.pl>",
        subject="Статьи дня: “quantum” ≈ 3 papers",
        text=f"Cześć Łukasz,\n{long_line}\n",
        html=f"<p>Cześć <b>Łukasz</b></p><p>{long_line}</p>",
        date=datetime(2026, 3, 6, 7, 0, tzinfo=UTC),
    )
    Mailer.from_settings(mail_settings).send(composed)
    [received] = smtp_server.wait_for(1)
    assert received.raw.isascii()
    assert max(len(line) for line in received.raw.split(b"\r\n")) <= 78  # RFC 5322 asks for 78; the hard limit is 998
    assert received["Subject"] == "Статьи дня: “quantum” ≈ 3 papers"
    assert received["To"].addresses[0].display_name == "Łukasz Żółć"
    assert received.envelope_to == ["lukasz@example.pl"]
    assert received.envelope_from == "papertide@localhost"
    text, html = (received.get_body((kind,)).get_content().replace("\r\n", "\n") for kind in ("plain", "html"))
    assert text == f"Cześć Łukasz,\n{long_line}\n"
    assert html == f"<p>Cześć <b>Łukasz</b></p><p>{long_line}</p>\n"
    assert received["Message-ID"] == composed["Message-ID"]
    assert received["Date"] == "Fri, 06 Mar 2026 07:00:00 +0000"


def test_ascii_lines_past_the_smtp_limit_are_encoded_and_read_back_whole(settings: Settings) -> None:
    long_line = "word " * 300  # 1,500 characters: plain ASCII, but over the 998-octet line limit
    composed = message(settings, text="Short\n", html=f"<p>{long_line}</p>")
    wire = composed.as_bytes(policy=default.clone(linesep="\r\n"))
    assert max(len(line) for line in wire.split(b"\r\n")) <= 78
    plain, rich = composed.iter_parts()
    assert (plain["Content-Transfer-Encoding"], rich["Content-Transfer-Encoding"]) == ("7bit", "quoted-printable")
    parsed = email.message_from_bytes(wire, policy=default)
    assert parsed.get_body(("html",)).get_content().replace("\r\n", "\n") == f"<p>{long_line}</p>\n"


def test_a_body_holding_the_usual_boundary_gets_another(settings: Settings) -> None:
    usual = message(settings).get_boundary()
    composed = message(settings, text=f"--{usual}\nnot a part\n")
    assert composed.get_boundary() != usual
    parsed = email.message_from_bytes(composed.as_bytes(), policy=default)
    assert [part.get_content() for part in parsed.iter_parts()] == [f"--{usual}\nnot a part\n", "<p>Hello</p>\n"]


ADDRESS_LIKE = st.text(alphabet=st.sampled_from('ab.@<> "\r\n,:;\\()[]ü\u2028-_'), max_size=24)


@settings_hypothesis(max_examples=150, deadline=None)
@given(ADDRESS_LIKE | st.text(max_size=40))
def test_any_text_is_an_address_or_a_clear_error(value: str) -> None:
    try:
        address = parse_address(value, field="to")
    except InvalidInput as exc:
        assert exc.message.startswith("to: ")
    else:
        assert address.addr_spec.isascii() and "@" in address.addr_spec
        assert not any(c in address.display_name for c in "\r\n\x00\u2028")
