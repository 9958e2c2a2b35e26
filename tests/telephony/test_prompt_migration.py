"""Migration 1790_001 gives stored default prompts their new text and leaves a manager's own texts alone."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from hotline.extensions import db
from hotline.telephony.line_settings import DEFAULT_PROMPTS
from tests.conftest import truncate_all

OLD_NEXT = "您是下一位,工作人员马上为您接听。"
OWN_GREETING = "您好,这里是宝坻区社工热线。"


def stored_prompts() -> dict[str, Any]:
    """Return the stored prompts, read fresh."""
    with db.engine.connect() as connection:
        value = connection.execute(text("SELECT value FROM settings WHERE key = 'telephony.prompts'")).scalar()
    value = value if isinstance(value, dict) else json.loads(value)
    return {name: prompt["text"] for name, prompt in value["prompts"].items()}


def test_stored_default_prompts_get_the_new_texts_and_own_texts_stay(app: Flask) -> None:
    saved = {
        "prompts": {
            "next_in_line": {"text": OLD_NEXT, "audio_url": None},
            "goodbye": {"text": "感谢您的来电,再见。", "audio_url": None},
            "greeting": {"text": OWN_GREETING, "audio_url": None},
        },
        "menu": {"1": "info"},
    }
    with app.app_context():
        try:
            downgrade(revision="1800_002")
            with db.engine.begin() as connection:
                connection.execute(
                    text("INSERT INTO settings (key, value, updated_at) VALUES (:key, :value, CURRENT_TIMESTAMP)"),
                    {"key": "telephony.prompts", "value": json.dumps(saved, ensure_ascii=False)},
                )
            upgrade(revision="heads")
            prompts = stored_prompts()
            assert prompts["next_in_line"] == DEFAULT_PROMPTS["next_in_line"] and "马上" not in prompts["next_in_line"]
            assert prompts["goodbye"] == "感谢您的来电，再见。"
            assert prompts["greeting"] == OWN_GREETING
            downgrade(revision="1800_002")
            assert stored_prompts()["next_in_line"] == OLD_NEXT
        finally:
            upgrade(revision="heads")
            db.session.remove()
            truncate_all(app)
