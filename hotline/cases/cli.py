"""`flask --app wsgi retention run [--dry-run]`: apply (or list) what the retention periods remove."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from hotline.cases.retention import run_retention
from hotline.clock import local, utcnow
from hotline.extensions import db

SHOWN = 50
retention_cli = AppGroup("retention", help="Personal data retention.")


@retention_cli.command("run")
@click.option("--dry-run", is_flag=True, help="List what would be removed or anonymised; change nothing.")
@click.option("--verbose", "-v", is_flag=True, help="List every record (a dry run lists the first 50 per rule).")
def run(dry_run: bool, verbose: bool) -> None:
    """Apply the retention periods now (or only list what they cover)."""
    report = run_retention(db.session, utcnow(), dry_run=dry_run)
    click.echo(("DRY RUN: nothing changed. " if dry_run else "") + f"periods: {report.periods}")
    for rule, items in report.found.items():
        failed = report.failed.get(rule, 0)
        done = f"{len(items) - failed} changed" + (
            f", {failed} refused by the phone network (retried next run)" if failed else ""
        )
        click.echo(f"{rule}: {len(items)} would be changed" if dry_run else f"{rule}: {done}")
        if verbose or dry_run:
            shown = items if verbose else items[:SHOWN]
            for item in shown:
                since = f"{local(item.since):%Y-%m-%d}" if item.since else "-"
                click.echo(f"  {item.kind}:{item.id} since {since} ({item.what})")
            if len(shown) < len(items):
                click.echo(f"  … and {len(items) - len(shown)} more (--verbose lists them all)")
