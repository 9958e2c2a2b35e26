"""`flask --app wsgi directory …`: import the official division tree."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from hotline.directory import services
from hotline.extensions import db

directory_cli = AppGroup("directory", help="Areas, stations, experts and organisations.")


@directory_cli.command("import-divisions")
@click.option("--district", "district_code", required=True, help="Six-digit district code, e.g. 120115.")
def import_divisions(district_code: str) -> None:
    """Import a district with its streets and townships from the official codes."""
    try:
        district = services.import_divisions(db.session, district_code)
    except services.UnknownDivision as exc:
        raise click.ClickException(f"no district with code {district_code}") from exc
    click.echo(f"imported {district.name} ({district.code}) with {len(district.children)} streets and townships")
