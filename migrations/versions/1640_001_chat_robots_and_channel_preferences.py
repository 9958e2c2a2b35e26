"""chat robots: encrypted robot URL, kind and secret; staff channel preferences; retries; robot sends

Revision ID: 1640_001
Revises: 1670_001
Create Date: 2026-12-03 16:30:00

`webhook_url` of stations, experts and organisations becomes an encrypted TEXT
(a WeCom URL's key is its secret) and gains `robot_kind` (set here from the URL's
host: qyapi.weixin.qq.com → wecom, oapi.dingtalk.com → dingtalk,
open.feishu.cn / open.larksuite.com → feishu, any other → webhook, which keeps
today's WeCom-shaped text post) and `robot_secret` (encrypted). A "webhook" in
a notify_channels list keeps meaning "this entry's group chat robot".
Downgrade decrypts the URLs and drops the new columns.
"""

import sqlalchemy as sa
from alembic import op
from flask import current_app
from sqlalchemy.dialects import postgresql

from hotline.privacy import FieldCipher
from urllib.parse import urlsplit

revision = "1640_001"
down_revision = "1670_001"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
TABLES = ("stations", "expert_volunteers", "organisations")
HOSTS = {
    "qyapi.weixin.qq.com": "wecom",
    "oapi.dingtalk.com": "dingtalk",
    "open.feishu.cn": "feishu",
    "open.larksuite.com": "feishu",
}


def kind_of_url(url: str) -> str | None:
    return HOSTS.get((urlsplit(url).hostname or "").lower())


def field_cipher() -> FieldCipher:
    return FieldCipher(current_app.config["FIELD_ENCRYPTION_KEY"])


def upgrade():
    cipher = field_cipher()
    bind = op.get_bind()
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                "webhook_url", existing_type=sa.String(500), type_=sa.Text(), postgresql_using="webhook_url::text"
            )
            batch.add_column(sa.Column("robot_kind", sa.String(20), nullable=True))
            batch.add_column(sa.Column("robot_secret", sa.Text(), nullable=True))
        rows = bind.execute(sa.text(f"SELECT id, webhook_url FROM {table} WHERE webhook_url IS NOT NULL")).all()
        for row_id, url in rows:
            bind.execute(
                sa.text(f"UPDATE {table} SET webhook_url = :url, robot_kind = :kind WHERE id = :id"),
                {"url": cipher.encrypt(url), "kind": kind_of_url(url) or "webhook", "id": row_id},
            )
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("notify_channels", JSON, nullable=False, server_default=sa.text("'[]'")))
    with op.batch_alter_table("notification_attempts") as batch:
        batch.add_column(sa.Column("tries", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("retry_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "robot_sends",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("robot", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_robot_sends")),
    )
    op.create_index("ix_robot_sends_robot_at", "robot_sends", ["robot", "at"])


def downgrade():
    cipher = field_cipher()
    bind = op.get_bind()
    op.drop_index("ix_robot_sends_robot_at", table_name="robot_sends")
    op.drop_table("robot_sends")
    with op.batch_alter_table("notification_attempts") as batch:
        batch.drop_column("retry_at")
        batch.drop_column("tries")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("notify_channels")
    for table in TABLES:
        rows = bind.execute(sa.text(f"SELECT id, webhook_url FROM {table} WHERE webhook_url IS NOT NULL")).all()
        for row_id, token in rows:
            bind.execute(
                sa.text(f"UPDATE {table} SET webhook_url = :url WHERE id = :id"),
                {"url": cipher.decrypt(token)[:500], "id": row_id},
            )
        with op.batch_alter_table(table) as batch:
            batch.drop_column("robot_secret")
            batch.drop_column("robot_kind")
            batch.alter_column("webhook_url", existing_type=sa.Text(), type_=sa.String(500))
