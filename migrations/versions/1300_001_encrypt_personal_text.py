"""encrypt every personal text at rest: notes, summaries, staff and volunteer phone numbers

Revision ID: 1300_001
Revises: 1100_001
Create Date: 2026-12-02 14:00:00

Each column becomes TEXT holding a Fernet token (JSON columns: the token of the
JSON text), and the rows already there are encrypted with the first key of
FIELD_ENCRYPTION_KEY. Downgrade decrypts them and restores the types.
"""

import sqlalchemy as sa
from alembic import op
from flask import current_app
from sqlalchemy.dialects import postgresql

from hotline.privacy import FieldCipher

revision = "1300_001"
down_revision = "1100_001"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
TEXT = sa.Text()

# table -> [(column, type before this revision)]
COLUMNS = {
    "audit_log": [("detail", JSON)],
    "case_notes": [("body", TEXT)],
    "cases": [("summary", TEXT), ("actions_taken", TEXT)],
    "certifications": [("number", sa.String(60))],
    "escalations": [("note", TEXT), ("override_reason", TEXT)],
    "expert_volunteers": [("phone", sa.String(20)), ("email", sa.String(200)), ("notes", TEXT)],
    "follow_ups": [("note", TEXT), ("outcome_note", TEXT)],
    "intake_versions": [("data", JSON)],
    "leave_requests": [("reason", TEXT), ("decision_note", TEXT)],
    "notification_attempts": [("destination", sa.String(300)), ("body", TEXT)],
    "organisations": [("contact_name", sa.String(100))],
    "referral_steps": [("detail", JSON)],
    "referrals": [("target_phone", sa.String(20)), ("note", TEXT), ("outcome_note", TEXT)],
    "responder_reply_codes": [("phone", sa.String(20))],
    "return_calls": [("note", TEXT)],
    "rota_notices": [("sms_to", sa.String(20))],
    "simulated_messages": [("body", TEXT)],
    "sms_replies": [("reply", TEXT)],
    "stations": [("phone", sa.String(20)), ("duty_contact_name", sa.String(100)), ("duty_contact_phone", sa.String(20))],
    "swap_requests": [("reason", TEXT), ("decision_note", TEXT)],
    "users": [("phone", sa.String(20))],
    "worker_profiles": [("notes", TEXT)],
}
BATCH = 500


def field_cipher() -> FieldCipher:
    return FieldCipher(current_app.config["FIELD_ENCRYPTION_KEY"])


KEYS = {"worker_profiles": "user_id"}


def rewrite(table: str, columns: list[str], change) -> None:
    """Rewrite every non-null value of the columns with change(value), in batches by primary key."""
    bind = op.get_bind()
    key = KEYS.get(table, "id")
    names = ", ".join(columns)
    last = 0
    while True:
        query = f"SELECT {key}, {names} FROM {table} WHERE {key} > :last ORDER BY {key} LIMIT {BATCH}"
        rows = bind.execute(sa.text(query), {"last": last}).all()
        if not rows:
            return
        for row in rows:
            values = {column: change(value) for column, value in zip(columns, row[1:], strict=True) if value is not None}
            if values:
                assignments = ", ".join(f"{column} = :{column}" for column in values)
                bind.execute(sa.text(f"UPDATE {table} SET {assignments} WHERE {key} = :key"), {**values, "key": row[0]})
        last = rows[-1][0]


def upgrade():
    cipher = field_cipher()
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            for column, before in columns:
                if before is not TEXT:
                    batch.alter_column(
                        column, existing_type=before, type_=sa.Text(), postgresql_using=f"{column}::text"
                    )
        rewrite(table, [column for column, _ in columns], lambda value: cipher.encrypt(str(value)))


def downgrade():
    cipher = field_cipher()
    for table, columns in COLUMNS.items():
        rewrite(table, [column for column, _ in columns], cipher.decrypt)
        with op.batch_alter_table(table) as batch:
            for column, before in columns:
                if before is not TEXT:
                    using = f"{column}::jsonb" if before is JSON else None
                    batch.alter_column(
                        column, existing_type=sa.Text(), type_=before, postgresql_using=using
                    )
