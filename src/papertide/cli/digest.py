"""``papertide digest ...``: what subscribers get."""

from __future__ import annotations

from typing import Annotated

import typer

from papertide.cli.app import JsonOption, app, err, out, parse_day, print_json, services_of

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
    as_json: JsonOption = False,
) -> None:
    """Print the digest EMAIL would get, without sending it or recording anything; or why none would go."""
    from papertide.digest.enqueue import SUSPENDED
    from papertide.digest.preferences import Preferences
    from papertide.digest.schedule import preview_period
    from papertide.errors import NotFound

    services = services_of(ctx)
    digests = services.digests  # the worker's composer: the preview shows what it sends
    subscription = digests.subscriptions.by_email(email)
    if subscription is None:
        raise NotFound(f"no digest subscription for {email!r}")
    preferences = Preferences.from_dict(subscription.preferences)
    period = preview_period(preferences, services.clock(), parse_day(day, "--date"))
    digest = digests.composer.compose(subscription, period)
    why_not = digests.composer.why_empty(subscription, period) if digest is None else None
    # What would stop it however full it is: the subscription's state, or the address's bounces.
    held = f"this subscription is {subscription.status}" if subscription.status != "active" else None
    if services.stores.bounces.suspension(subscription.email) is not None:
        held = f"this {SUSPENDED}"
    mail = digests.mail
    if as_json:
        print_json(
            {
                "email": subscription.email, "day": period.day, "cutoff": period.cutoff, "not_sent": why_not,
                "held": held, "subject": mail.subject(digest) if digest else None,
                "papers": [
                    {"id": item.paper.paper_id, "title": item.paper.title, "section": part.section.value,
                     "reason": item.reason}
                    for part in (digest.sections if digest else ()) for item in part.items
                ],
                "text": mail.text(digest) if digest else None, "html": mail.html(digest) if digest else None,
            }
        )  # fmt: skip
        return
    if digest is None:
        out.print(f"No digest for {subscription.email} on {period.day}: {why_not}, so none would be sent.",
                  highlight=False, markup=False, soft_wrap=True)  # fmt: skip
        return
    if held:
        err.print(f"note: {held}; nothing would be sent to it", highlight=False)
    out.print(f"Subject: {mail.subject(digest)}\n", highlight=False, markup=False)
    out.print(mail.html(digest) if html else mail.text(digest), highlight=False, markup=False, soft_wrap=True)
