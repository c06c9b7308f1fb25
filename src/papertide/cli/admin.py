"""``papertide admin grant|revoke|list``: who moderates the discussions (and, later, administers)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from papertide.accounts.roles import ROLES, Roles
from papertide.cli.app import JsonOption, app, out, print_json, services_of

admin_app = typer.Typer(help=f"Account roles ({', '.join(ROLES)}): grant, revoke, list. Every change is logged.")
app.add_typer(admin_app, name="admin")

RoleArgument = Annotated[str, typer.Argument(help=f"The role: {', '.join(ROLES)}.")]
EmailArgument = Annotated[str, typer.Argument(help="The account's email address (it must have signed in once).")]


def _roles(ctx: typer.Context) -> Roles:
    stores = services_of(ctx).stores
    return Roles(stores.roles, stores.accounts, stores.moderation)


def _report(action: str, role: str, email: str, changed: bool, as_json: bool) -> None:
    if as_json:
        print_json({"action": action, "role": role, "email": email.lower(), "changed": changed})
        return
    done = {"grant": f"{email} is now a {role}", "revoke": f"{email} is no longer a {role}"}[action]
    out.print(done if changed else f"nothing to do: {email} {'already is' if action == 'grant' else 'is not'} a {role}")


@admin_app.command("grant")
def grant(ctx: typer.Context, role: RoleArgument, email: EmailArgument, as_json: JsonOption = False) -> None:
    """Give an account a role (moderators see the report queue, hide comments and suspend commenters)."""
    _report("grant", role, email, _roles(ctx).grant(role, email), as_json)


@admin_app.command("revoke")
def revoke(ctx: typer.Context, role: RoleArgument, email: EmailArgument, as_json: JsonOption = False) -> None:
    """Take a role from an account."""
    _report("revoke", role, email, _roles(ctx).revoke(role, email), as_json)


@admin_app.command("list")
def list_roles(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Every account that holds a role."""
    holders = _roles(ctx).holders()
    if as_json:
        print_json([{"email": h.email, "role": h.role, "granted_at": h.granted_at} for h in holders])
        return
    table = Table(title="Roles")
    for column in ("role", "email", "granted"):
        table.add_column(column)
    for holder in holders:
        table.add_row(holder.role, holder.email, f"{holder.granted_at:%Y-%m-%d %H:%M} UTC")
    out.print(table if holders else "no account holds a role")
