"""Knowledge commands: rebuild the search index, import a file of articles."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from hotline.clock import utcnow
from hotline.extensions import db
from hotline.knowledge import exchange, services
from hotline.knowledge.exceptions import ImportFailed

knowledge_cli = AppGroup("knowledge", help="The knowledge base.")


@knowledge_cli.command("reindex")
def reindex() -> None:
    """Rebuild the full-text index from the articles."""
    count = services.rebuild_index(db.session)
    click.echo(f"indexed {count} articles")


@knowledge_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--publish", is_flag=True, help="Publish at once instead of leaving drafts.")
def import_file(path: Path, publish: bool) -> None:
    """Import articles from a CSV, Markdown or zip file (all or nothing)."""
    try:
        records = exchange.records_of(path.name, path.read_bytes())
        created, updated = exchange.import_records(db.session, records, None, utcnow(), publish)
    except ImportFailed as failure:
        for where, message in failure.errors[:50]:
            click.echo(f"{where} {message}", err=True)
        raise SystemExit(1) from failure
    click.echo(f"imported: {created} new, {updated} updated")
