"""encrypt what callers said in the knowledge base: searches and unanswered questions

Revision ID: 1610_001
Revises: 1640_001
Create Date: 2026-12-03 16:30:00

knowledge_uses.query and knowledge_gaps.question become TEXT holding Fernet
tokens; knowledge_gaps gets question_hash, the keyed HMAC of the question (the
reports count the same question by it, an article closes the gaps it answers by
it). The rows already there are encrypted and hashed with the first key of
FIELD_ENCRYPTION_KEY. Downgrade decrypts them and restores the types.
"""

import sqlalchemy as sa
from alembic import op
from flask import current_app

from hotline.privacy import FieldCipher

revision = "1610_001"
down_revision = "1640_001"
branch_labels = None
depends_on = None

BATCH = 500


def field_cipher() -> FieldCipher:
    return FieldCipher(current_app.config["FIELD_ENCRYPTION_KEY"])


def rewrite(table: str, column: str, change, hash_column: str | None = None, lookup=None) -> None:
    """Rewrite every non-null value of the column with change(value) (and its hash), in batches by id."""
    bind = op.get_bind()
    last = 0
    while True:
        query = f"SELECT id, {column} FROM {table} WHERE id > :last ORDER BY id LIMIT {BATCH}"
        rows = bind.execute(sa.text(query), {"last": last}).all()
        if not rows:
            return
        for row_id, value in rows:
            if value is None:
                continue
            values = {"value": change(value), "key": row_id}
            assignment = f"{column} = :value"
            if hash_column:
                assignment += f", {hash_column} = :digest"
                values["digest"] = lookup(value)
            bind.execute(sa.text(f"UPDATE {table} SET {assignment} WHERE id = :key"), values)
        last = rows[-1][0]


def upgrade():
    cipher = field_cipher()
    with op.batch_alter_table("knowledge_uses") as batch:
        batch.alter_column("query", existing_type=sa.String(200), type_=sa.Text(), existing_nullable=True)
    with op.batch_alter_table("knowledge_gaps") as batch:
        batch.alter_column("question", existing_type=sa.String(200), type_=sa.Text(), existing_nullable=False)
        batch.add_column(sa.Column("question_hash", sa.String(64), nullable=True))
        batch.create_index("ix_knowledge_gaps_question_hash", ["question_hash"], unique=False)
    rewrite("knowledge_uses", "query", cipher.encrypt)
    rewrite("knowledge_gaps", "question", cipher.encrypt, "question_hash", cipher.lookup_hash)


def downgrade():
    cipher = field_cipher()
    rewrite("knowledge_uses", "query", cipher.decrypt)
    rewrite("knowledge_gaps", "question", cipher.decrypt)
    with op.batch_alter_table("knowledge_gaps") as batch:
        batch.drop_index("ix_knowledge_gaps_question_hash")
        batch.drop_column("question_hash")
        batch.alter_column("question", existing_type=sa.Text(), type_=sa.String(200), existing_nullable=False)
    with op.batch_alter_table("knowledge_uses") as batch:
        batch.alter_column("query", existing_type=sa.Text(), type_=sa.String(200), existing_nullable=True)
