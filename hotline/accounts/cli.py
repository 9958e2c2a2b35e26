"""`flask --app wsgi users …`: create accounts and issue API tokens from the shell."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from hotline.accounts import services
from hotline.accounts.exceptions import AccountError
from hotline.extensions import db
from hotline.vocabulary import Role

users_cli = AppGroup("users", help="Manage accounts.")


@users_cli.command("create")
@click.option("--username", required=True)
@click.option("--role", required=True, type=click.Choice([role.value for role in Role]))
@click.option("--password", required=True, help="At least 12 characters, not a common password.")
@click.option("--name", "display_name", default=None, help="Display name (default: the username).")
def create(username: str, role: str, password: str, display_name: str | None) -> None:
    """Create an account."""
    try:
        user = services.create_user(db.session, username, role, password, display_name)
    except AccountError as exc:
        raise click.ClickException(f"{type(exc).__name__}: {exc}") from exc
    click.echo(f"created {user.username} ({user.role})")


@users_cli.command("token")
@click.argument("username")
@click.option("--name", default="cli", help="What the token is for.")
def token(username: str, name: str) -> None:
    """Print a new API token for USERNAME (shown once; stored hashed)."""
    try:
        user = services.find_user(db.session, username)
    except AccountError as exc:
        raise click.ClickException(f"no such user: {username}") from exc
    click.echo(services.issue_token(db.session, user, name))
