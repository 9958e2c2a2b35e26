"""Alembic environment for Flask-Migrate: the app's engine and the models' metadata."""

from __future__ import annotations

import logging
from typing import Any

from alembic import context
from flask import current_app

from hotline.db import JSONType, UTCDateTime, include_name
from hotline.privacy import EncryptedJSON, EncryptedString

logger = logging.getLogger("alembic.env")
config = context.config
target_db = current_app.extensions["migrate"].db


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Render the project's column types as plain SQLAlchemy types in migration scripts."""
    if type_ != "type":
        return False
    if isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if isinstance(obj, EncryptedString | EncryptedJSON):
        return "sa.Text()"
    if obj is JSONType or (type(obj).__name__ == "JSON" and getattr(obj, "_variant_mapping", None)):
        autogen_context.imports.add("from sqlalchemy.dialects import postgresql")
        return "sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')"
    return False


def process_revision_directives(context_: Any, revision: Any, directives: list[Any]) -> None:
    """Do not write an empty migration when nothing changed."""
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        logger.info("No changes in schema detected.")


def run_migrations_online() -> None:
    """Run migrations against the app's engine."""
    connectable = target_db.engine
    with connectable.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_db.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            render_item=render_item,
            compare_type=True,
            include_name=include_name,
            process_revision_directives=process_revision_directives,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `flask --app wsgi db upgrade`")
run_migrations_online()
