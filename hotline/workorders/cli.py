"""`flask --app wsgi workorders …`: give a station account its station or organisation."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from hotline.accounts.models import User
from hotline.directory.models import Organisation, Station
from hotline.extensions import db
from hotline.workorders.services import set_membership

workorders_cli = AppGroup("workorders", help="Work orders: station accounts.")


@workorders_cli.command("member")
@click.argument("username")
@click.option("--station", "station_name", help="The station's name, as in the directory.")
@click.option("--organisation", "organisation_name", help="The organisation's name, as in the directory.")
def member(username: str, station_name: str | None, organisation_name: str | None) -> None:
    """Make a user a member of one station or organisation (the user's role should be `station`)."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"no user {username}")
    if (station_name is None) == (organisation_name is None):
        raise click.ClickException("give one of --station or --organisation")
    model = Station if station_name else Organisation
    unit = db.session.scalar(select(model).where(model.name == (station_name or organisation_name)))
    if unit is None:
        raise click.ClickException(f"no {'station' if station_name else 'organisation'} of that name")
    set_membership(
        db.session,
        user.id,
        station_id=unit.id if station_name else None,
        organisation_id=unit.id if organisation_name else None,
    )
    click.echo(f"{username} is now a member of {unit.name}")
