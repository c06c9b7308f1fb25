"""Delivery to an SMTP relay (stdlib smtplib); the one place where SMTP and socket errors become MailError.

Blocking smtplib rather than aiosmtplib: senders run in worker threads or the worker process, a
conversation is a handful of round trips, and one connection carries many messages (see
:class:`SmtpTransport`), so an event loop would buy nothing but a dependency.
"""

from __future__ import annotations

import logging
import smtplib
import ssl

from papertide.config import Settings
from papertide.errors import MailError
from papertide.mail.compose import message_domain

log = logging.getLogger("papertide.mail")

_WHAT_FAILED = {
    smtplib.SMTPSenderRefused: "refused the sender",
    smtplib.SMTPDataError: "rejected the message",
    smtplib.SMTPAuthenticationError: "refused the login",
    smtplib.SMTPHeloError: "refused the greeting",
    smtplib.SMTPConnectError: "refused the connection",
}


class SmtpTransport:
    """One conversation with the relay, opened at the first message and kept for the ones after it.

    A failure that leaves the conversation in an unknown state (a timeout, a dropped connection, a 421)
    closes it, and the next :meth:`send` opens a new one: a batch sender records the failed message
    and goes on.
    """

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._smtp: smtplib.SMTP | None = None
        self.where = f"SMTP relay {settings.smtp_host}:{settings.smtp_port}"

    def send(self, wire: bytes, message_id: str, sender: str, recipients: tuple[str, ...]) -> None:
        """Hand one message to the relay for ``recipients``; :class:`MailError` if it was not taken for all."""
        try:
            if self._smtp is None or self._smtp.sock is None:
                self._smtp = self._open()
            refused = self._smtp.sendmail(sender, list(recipients), wire)
        except (OSError, smtplib.SMTPException) as exc:  # smtplib's errors are OSErrors; listed for clarity
            if _conversation_lost(exc):
                self._drop()
            raise self._mail_error(exc, recipients) from exc
        if refused:  # some recipients took it, others did not: say which, since a retry would repeat it
            raise self._refusal(refused, accepted=tuple(r for r in recipients if r not in refused))
        log.info("mail %s to %s handed to %s", message_id, ", ".join(recipients), self.where)

    def close(self) -> None:
        """End the conversation politely (QUIT); a relay that is already gone is no error here."""
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()

    def _open(self) -> smtplib.SMTP:
        settings = self._settings
        host, port, timeout = settings.smtp_host, settings.smtp_port, settings.smtp_timeout_s
        name = message_domain(settings)  # given, so smtplib does not stall on a reverse DNS lookup (getfqdn)
        if settings.smtp_security == "ssl":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                host, port, local_hostname=name, timeout=timeout, context=self._tls_context()
            )
        else:
            smtp = smtplib.SMTP(host, port, local_hostname=name, timeout=timeout)
        try:
            if settings.smtp_security == "starttls":
                smtp.starttls(context=self._tls_context())
            if settings.smtp_username:
                password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
                smtp.login(settings.smtp_username, password)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _tls_context(self) -> ssl.SSLContext:
        """Certificates are always verified: against ``smtp_ca_file`` when set, else the system's CAs."""
        ca_file = self._settings.smtp_ca_file
        return ssl.create_default_context(cafile=str(ca_file) if ca_file else None)

    def _drop(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            smtp.close()

    def _mail_error(self, exc: BaseException, recipients: tuple[str, ...]) -> MailError:
        where = self.where
        if isinstance(exc, smtplib.SMTPRecipientsRefused):
            return self._refusal(exc.recipients, accepted=())
        if isinstance(exc, smtplib.SMTPNotSupportedError):
            return MailError(f"{where}: {exc}", transient=False)
        if isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError):  # smtplib re-raises
            # a timed-out read as SMTPServerDisconnected
            return MailError(f"{where} did not answer within {self._settings.smtp_timeout_s:g} s", transient=True)
        if isinstance(exc, smtplib.SMTPServerDisconnected):
            return MailError(f"{where} closed the connection: {exc or 'no reason given'}", transient=True)
        if isinstance(exc, smtplib.SMTPResponseException):
            code, text = exc.smtp_code, _reply_text(exc.smtp_error)
            what = next((w for kind, w in _WHAT_FAILED.items() if isinstance(exc, kind)), "answered")
            about = recipients if isinstance(exc, smtplib.SMTPDataError) else ()
            return MailError(
                f"{where} {what}: {code} {text}", transient=_transient(code), smtp_code=code, recipients=about
            )
        if isinstance(exc, ssl.SSLCertVerificationError):
            return MailError(f"{where}: its TLS certificate is not trusted: {exc.verify_message}", transient=False)
        return MailError(f"cannot reach {where}: {exc.__class__.__name__}: {exc}", transient=True)

    def _refusal(self, refused: dict[str, tuple[int, bytes]], *, accepted: tuple[str, ...]) -> MailError:
        codes = [code for code, _ in refused.values()]
        details = "; ".join(f"{address}: {code} {_reply_text(text)}" for address, (code, text) in refused.items())
        message = f"{self.where} refused {details}"
        if accepted:
            message += f" (it accepted the message for {', '.join(accepted)})"
        return MailError(
            message, transient=all(_transient(c) for c in codes), smtp_code=codes[0], recipients=tuple(refused)
        )


def _transient(code: int) -> bool:
    """5xx replies are final; 4xx (and anything off the scale) may go through later."""
    return not 500 <= code < 600


def _conversation_lost(exc: BaseException) -> bool:
    """After a plain reply the relay has been reset (RSET) and can go on; after anything else it cannot."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return any(code == 421 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code == 421
    return not isinstance(exc, smtplib.SMTPNotSupportedError)


def _reply_text(text: bytes | str) -> str:
    return (text.decode("utf-8", "replace") if isinstance(text, bytes) else text).replace("\n", " ").strip()
