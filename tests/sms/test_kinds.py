"""Every message kind the project sends maps to a template on both providers, and the rota's go through them."""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from sqlalchemy import select

from hotline.rota.models import PUBLISHED, RotaNotice, Shift
from hotline.rota.notices import add_notice, deliver_pending_sms
from hotline.sms.kinds import KINDS, PROVIDERS, check_entry, default_entry
from hotline.sms.models import SmsMessage
from hotline.telephony.providers import RecordingProvider
from tests.sms.conftest import ALIBABA_TEMPLATES, TENCENT_TEMPLATES

HOTLINE = Path(__file__).resolve().parents[2] / "hotline"
SENDERS = {"text_staff": 2, "send_to_staff": 1, "send_to_caller": 1, "queue": 1}
"""A sending function → the position of its kind argument."""
NOW = datetime(2026, 3, 10, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai


def kinds_in_code() -> set[str]:
    """Return the kinds named in the code: a sender's literal kind argument, or a literal kind returned."""
    found: set[str] = set()
    for path in HOTLINE.rglob("*.py"):
        if path.name == "kinds.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
                position = SENDERS.get(name or "")
                if position is not None and len(node.args) > position:
                    argument = node.args[position]
                    if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                        found.add(argument.value)
            elif isinstance(node, ast.Return) and isinstance(node.value, ast.Tuple) and node.value.elts:
                head = node.value.elts[0]
                candidates = [head.body, head.orelse] if isinstance(head, ast.IfExp) else [head]
                found |= {c.value for c in candidates if isinstance(c, ast.Constant) and c.value in KINDS}
    return found


def test_every_kind_the_code_sends_is_a_template_kind_and_every_template_kind_is_sent() -> None:
    sent = kinds_in_code()
    assert sent <= set(KINDS), f"kinds sent without a template: {sent - set(KINDS)}"
    assert set(KINDS) <= sent, f"template kinds nothing sends: {set(KINDS) - sent}"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_each_kinds_default_template_passes_the_count_and_variable_checks(app: Any, provider: str) -> None:
    with app.test_request_context():
        for kind in KINDS.values():
            entry = default_entry(provider, kind)
            errors, _warnings = check_entry(provider, kind, entry)
            assert errors == [], (kind.name, errors)
            too_many = {**entry, "max_params": len(entry["params"]) - 1}
            if entry["params"]:
                assert any("最多声明" in e for e in check_entry(provider, kind, too_many)[0])


def shift_and_notices(db_session: Any, make_user: Any) -> tuple[Any, Shift]:
    user = make_user("worker", phone="+8613900000009")
    shift = Shift(
        label="上午班", starts_at=NOW + timedelta(hours=1), ends_at=NOW + timedelta(hours=5), status=PUBLISHED
    )
    db_session.add(shift)
    db_session.flush()
    add_notice(db_session, user, "shift_reminder", "Reminder: your 上午班 shift…", {"shift_id": shift.id}, "r:1")
    add_notice(db_session, user, "rota_changed", "The rota changed…", {"version": 1}, "c:1")
    db_session.commit()
    return user, shift


@pytest.mark.parametrize("name", PROVIDERS)
def test_rota_notices_and_shift_reminders_go_by_their_templates_once(
    request: Any, app: Any, db_session: Any, make_user: Any, sms_config: Any, name: str
) -> None:
    server = request.getfixturevalue(name)
    sms_config(db_session, name, server)
    phone_line = RecordingProvider()
    with time_machine.travel(NOW, tick=False), app.test_request_context():
        shift_and_notices(db_session, make_user)
        assert deliver_pending_sms(db_session, phone_line, NOW) == 2
        assert deliver_pending_sms(db_session, phone_line, NOW + timedelta(minutes=1)) == 0
    assert phone_line.messages == [], "with a template provider nothing goes as free text"
    reminder, notice = server.accepted
    if name == "alibaba":
        assert reminder["TemplateCode"] == ALIBABA_TEMPLATES["shift_reminder"]
        assert reminder["TemplateParam"] == {"shift": "上午班", "time": "3月10日09:00"}
        assert notice["TemplateCode"] == ALIBABA_TEMPLATES["rota_notice"]
        assert notice["TemplateParam"] == {"notice": "排班有变动", "date": "3月10日"}
    else:  # Tencent: ordered parameters, each clipped to the declared 6 characters
        assert reminder["TemplateId"] == TENCENT_TEMPLATES["shift_reminder"]
        assert reminder["TemplateParamSet"][0] == "上午班" and len(reminder["TemplateParamSet"][1]) <= 6
        assert notice["TemplateId"] == TENCENT_TEMPLATES["rota_notice"]
        assert notice["TemplateParamSet"] == ["排班有变动", "3月10日"]
    statuses = set(db_session.scalars(select(RotaNotice.sms_status)))
    assert statuses == {"sent"}
    origins = set(db_session.scalars(select(SmsMessage.origin)))
    assert len(origins) == 2 and all(origin.startswith("rota:") for origin in origins)


def test_a_rota_notice_without_a_template_fails_and_is_not_sent_as_free_text(
    app: Any, db_session: Any, make_user: Any, sms_config: Any, alibaba: Any
) -> None:
    from hotline.sms import configuration

    sms_config(db_session, "alibaba", alibaba)
    entry = configuration.templates(db_session, "alibaba")["rota_notice"]
    configuration.save_template(db_session, "alibaba", "rota_notice", {**entry, "template_id": ""}, None)
    db_session.commit()
    phone_line = RecordingProvider()
    with time_machine.travel(NOW, tick=False), app.test_request_context():
        shift_and_notices(db_session, make_user)
        assert deliver_pending_sms(db_session, phone_line, NOW) == 1
    assert phone_line.messages == [] and len(alibaba.accepted) == 1
    assert db_session.scalar(select(RotaNotice.sms_status).where(RotaNotice.kind == "rota_changed")) == "failed"
