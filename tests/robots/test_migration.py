"""Migration 1640_002 seals a team robot saved before it, and opens it again on the way down."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from hotline.escalation.policies import setting
from hotline.extensions import db
from tests.conftest import truncate_all

URL = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=the-key"


def stored(app: Flask) -> Any:
    """Return the setting's stored value, read fresh."""
    with db.engine.connect() as connection:
        value = connection.execute(text("SELECT value FROM settings WHERE key = 'escalation.team_webhook'")).scalar()
    return value


def test_a_plain_team_robot_is_sealed_and_opened_again(app: Flask) -> None:
    with app.app_context():
        try:
            downgrade(revision="1630_001")
            with db.engine.begin() as connection:
                connection.execute(
                    text("INSERT INTO settings (key, value, updated_at) VALUES (:key, :value, CURRENT_TIMESTAMP)"),
                    {"key": "escalation.team_webhook", "value": f'{{"url": "{URL}"}}'},
                )
            upgrade(revision="heads")
            assert "the-key" not in str(stored(app)) and '"sealed"' in str(stored(app)).replace("'", '"')
            assert setting(db.session, "escalation.team_webhook")["url"] == URL
            db.session.remove()
            downgrade(revision="1630_001")
            assert "the-key" in str(stored(app)) and "sealed" not in str(stored(app))
        finally:
            upgrade(revision="heads")
            db.session.remove()
            truncate_all(app)


def test_robot_urls_saved_before_1640_001_are_encrypted_and_given_their_kind(app: Flask) -> None:
    with app.app_context():
        try:
            downgrade(revision="1670_001")
            with db.engine.begin() as connection:
                for name, url in (
                    ("钉钉站", "https://oapi.dingtalk.com/robot/send?access_token=t"),
                    ("别站", URL[:8] + "x.org/h"),
                ):
                    connection.execute(
                        text(
                            "INSERT INTO stations (name, tier, webhook_url, notify_channels, active)"
                            " VALUES (:name, 'station', :url, '[\"webhook\"]', true)"
                        ),
                        {"name": name, "url": url},
                    )
            upgrade(revision="heads")
            with db.engine.connect() as connection:
                rows = dict(connection.execute(text("SELECT name, webhook_url FROM stations")).all())
            assert all("access_token" not in value and "x.org" not in value for value in rows.values())
            from hotline.directory.models import Station

            kinds = {s.name: (s.robot_kind, s.webhook_url) for s in db.session.query(Station)}
            assert kinds["钉钉站"] == ("dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=t")
            assert kinds["别站"][0] == "webhook"
            db.session.remove()
        finally:
            upgrade(revision="heads")
            db.session.remove()
            truncate_all(app)
