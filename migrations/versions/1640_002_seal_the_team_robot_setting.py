"""seal the team robot: its URL (a WeCom URL's key is its secret) stored encrypted in the setting

Revision ID: 1640_002
Revises: 1630_001
Create Date: 2026-12-03 17:00:00

The `escalation.team_webhook` setting keeps {"url", "kind", "secret"}; from now
on `url` and `secret` hold Fernet tokens and `"sealed": true` says so
(hotline.escalation.policies.sealed). A value saved before is sealed here.
Downgrade opens it again.
"""

import json

import sqlalchemy as sa
from alembic import op
from flask import current_app

from hotline.privacy import FieldCipher

revision = "1640_002"
down_revision = "1630_001"
branch_labels = None
depends_on = None

KEY = "escalation.team_webhook"


def rewrite(change) -> None:
    bind = op.get_bind()
    row = bind.execute(sa.text("SELECT value FROM settings WHERE key = :key"), {"key": KEY}).first()
    if row is None:
        return
    value = row[0] if isinstance(row[0], dict) else json.loads(row[0])
    new = change(dict(value))
    if new != value:
        cast = "CAST(:value AS JSONB)" if bind.dialect.name == "postgresql" else ":value"
        bind.execute(
            sa.text(f"UPDATE settings SET value = {cast} WHERE key = :key"),
            {"value": json.dumps(new, ensure_ascii=False), "key": KEY},
        )


def upgrade():
    cipher = FieldCipher(current_app.config["FIELD_ENCRYPTION_KEY"])

    def seal(value: dict) -> dict:
        if value.get("sealed"):
            return value
        for name in ("url", "secret"):
            if value.get(name):
                value[name] = cipher.encrypt(value[name])
        return {**value, "sealed": True}

    rewrite(seal)


def downgrade():
    cipher = FieldCipher(current_app.config["FIELD_ENCRYPTION_KEY"])

    def open_(value: dict) -> dict:
        if not value.pop("sealed", False):
            return value
        for name in ("url", "secret"):
            if value.get(name):
                value[name] = cipher.decrypt(value[name])
        return value

    rewrite(open_)
