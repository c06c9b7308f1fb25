"""``papertide mail list`` / ``mail show N``: read the Maildir that receives mail when no relay is set.

This is how a newcomer signs in to the demo: ask for a link on the page, then ``papertide mail show``.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from papertide.cli.app import JsonOption, app, err, out, print_json
from papertide.config import Settings
from papertide.mail.maildir import StoredMail, read_maildir, stored_mail

mail_app = typer.Typer(
    help="Read the mail delivered to the Maildir (used when no SMTP relay is set).", no_args_is_help=True
)
app.add_typer(mail_app, name="mail")

SHOWN_HEADERS = ("Date", "From", "To", "Reply-To", "Subject", "Message-ID", "List-Unsubscribe")


def _note_relay(settings: Settings) -> None:
    if settings.smtp_host:
        err.print(
            f"note: smtp_host is set, so new mail goes to {settings.smtp_host}, not to this Maildir", highlight=False
        )


@mail_app.command("list")
def mail_list(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="Show the newest N messages.")] = 20,
    as_json: JsonOption = False,
) -> None:
    """List the messages in the Maildir, oldest first, numbered for `mail show N`."""
    settings: Settings = ctx.obj
    _note_relay(settings)
    messages = read_maildir(settings.mail_dir)
    shown = messages[-limit:]
    if as_json:
        print_json([_summary(stored) for stored in shown])
        return
    if not messages:
        out.print(f"no mail in {settings.mail_dir}", highlight=False)
        return
    title = f"{len(messages)} messages in {settings.mail_dir}"
    if len(shown) < len(messages):
        title += f" (the newest {len(shown)})"
    table = Table(title=title)
    for column in ("#", "date (UTC)", "to", "subject"):
        table.add_column(column, overflow="fold")
    for stored in shown:
        message = stored.message
        table.add_row(
            str(stored.number), f"{stored.delivered:%Y-%m-%d %H:%M:%S}", str(message["To"] or ""),
            str(message["Subject"] or ""),
        )  # fmt: skip
    out.print(table, markup=False, highlight=False)


@mail_app.command("show")
def mail_show(
    ctx: typer.Context,
    number: Annotated[int | None, typer.Argument(help="Message number from `mail list` (default: the newest).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Print one message's key headers and its plain-text part (where the sign-in link is)."""
    settings: Settings = ctx.obj
    _note_relay(settings)
    stored = stored_mail(settings.mail_dir, number)
    message = stored.message
    body = message.get_body(("plain", "html"))
    text = body.get_content().rstrip("\n") if body is not None else None
    if as_json:
        print_json({**_summary(stored), "text": text})
        return
    for name in SHOWN_HEADERS:
        if message[name] is not None:
            typer.echo(f"{name}: {message[name]}")
    typer.echo("")
    typer.echo(text if text is not None else "(no text part)")


def _summary(stored: StoredMail) -> dict:
    message = stored.message
    return {
        "number": stored.number,
        "delivered": stored.delivered,
        **{name.lower().replace("-", "_"): message[name] and str(message[name]) for name in SHOWN_HEADERS},
    }
