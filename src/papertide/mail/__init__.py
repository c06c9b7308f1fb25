"""Mail: the one sending path for sign-in links, confirmations and digests.

``compose(settings, to=..., subject=..., text=..., html=...)`` builds the message;
``Mailer.from_settings(settings).send(message)`` delivers it to the SMTP relay, or to the Maildir in
the data directory when no relay is configured. Failures arrive as :class:`papertide.errors.MailError`.
"""

from papertide.mail.addresses import check_header_name, check_header_value, parse_address
from papertide.mail.compose import compose, message_domain
from papertide.mail.mailer import Connection, Mailer, envelope

__all__ = [
    "Connection",
    "Mailer",
    "check_header_name",
    "check_header_value",
    "compose",
    "envelope",
    "message_domain",
    "parse_address",
]
