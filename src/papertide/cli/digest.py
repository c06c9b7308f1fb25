"""``papertide digest ...``: what subscribers get."""

from __future__ import annotations

from typing import Annotated

import typer

from papertide.cli.app import app, err, out, parse_day, store_of
from papertide.config import Settings

digest_app = typer.Typer(help="Daily digests: what subscribers get.", no_args_is_help=True)
app.add_typer(digest_app, name="digest")


@digest_app.command("preview")
def digest_preview(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The subscriber's address.")],
    day: Annotated[
        str | None, typer.Option("--date", help="The subscriber's local delivery day YYYY-MM-DD (default: the latest).")
    ] = None,
    html: Annotated[bool, typer.Option("--html", help="Print the HTML part instead of the plain text.")] = False,
) -> None:
    """Print the digest EMAIL would get, without sending it or recording anything."""
    from papertide.digest.compose import window_start
    from papertide.digest.preferences import Preferences
    from papertide.digest.schedule import preview_period
    from papertide.errors import NotFound
    from papertide.worker.composer import DigestComposer

    settings: Settings = ctx.obj
    store = store_of(ctx)
    digests = DigestComposer.open(settings, store)  # the worker's composer: the preview shows what it sends
    subscription = digests.subscriptions.by_email(email)
    if subscription is None:
        raise NotFound(f"no digest subscription for {email!r}")
    preferences = Preferences.from_dict(subscription.preferences)
    period = preview_period(preferences, store.now(), parse_day(day, "--date"))
    digest = digests.composer.compose(subscription, period)
    if digest is None:
        since = window_start(subscription, preferences, period)
        out.print(
            f"No digest for {subscription.email} on {period.day}: nothing new for them arrived between "
            f"{since:%Y-%m-%d %H:%M} and {period.cutoff:%Y-%m-%d %H:%M} UTC, so none would be sent.",
            highlight=False,
        )
        return
    mail = digests.mail
    if subscription.status != "active":
        err.print(f"note: this subscription is {subscription.status}; nothing would be sent to it", highlight=False)
    out.print(f"Subject: {mail.subject(digest)}\n", highlight=False, markup=False)
    out.print(mail.html(digest) if html else mail.text(digest), highlight=False, markup=False, soft_wrap=True)
