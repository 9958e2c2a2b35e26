"""`hotline/push.py` is the only Socket.IO emitter, and its events reach the rooms they name."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, g

from hotline import push
from hotline.accounts.models import User
from tests.conftest import log_in

HOTLINE = Path(__file__).resolve().parents[1] / "hotline"


def emits_outside_push() -> list[str]:
    """Return every `<something>.emit(...)` call in hotline outside push.py, as path:line."""
    found = []
    for path in sorted(HOTLINE.rglob("*.py")):
        if path == HOTLINE / "push.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "emit":
                found.append(f"{path.relative_to(HOTLINE.parent)}:{node.lineno}")
    return found


def test_no_module_but_push_emits() -> None:
    assert emits_outside_push() == []


def console_of(app: Flask, user: User) -> Any:
    """Connect a logged-in console (it joins its rooms on connect) and drop what connecting sent."""
    from hotline.extensions import socketio

    if app.config.get("REDIS_URL") and not app.config.get("SOCKETIO_NO_QUEUE"):
        pytest.skip("the Socket.IO test client refuses a message queue (tests/console/test_events.py covers it)")
    # The test's app context outlives each connection: forget the user Flask-Login cached in `g`.
    g.pop("_login_user", None)
    listener = socketio.test_client(app, flask_test_client=log_in(app.test_client(), user))
    assert listener.is_connected()
    listener.get_received()
    return listener


def names(listener: Any) -> list[tuple[str, Any]]:
    return [(message["name"], message["args"][0]) for message in listener.get_received()]


def test_events_for_everyone_reach_every_console(app: Flask, make_user: Callable[..., User]) -> None:
    worker = console_of(app, make_user("worker"))
    push.board_changed("risk")
    push.call_updated({"call_sid": "CA1"})
    push.referral_updated({"referral_id": 3})
    push.rota_changed({"event": "published"})
    push.chat_line(9)
    assert names(worker) == [
        ("board.changed", {"reason": "risk"}),
        ("call.updated", {"call_sid": "CA1"}),
        ("referral.updated", {"referral_id": 3}),
        ("rota.changed", {"event": "published"}),
        ("chat.line", {"call_id": 9}),
    ]
    worker.disconnect()


def test_personal_events_reach_only_their_person(app: Flask, make_user: Callable[..., User]) -> None:
    first, second = make_user("worker"), make_user("worker")
    mine, theirs = console_of(app, first), console_of(app, second)
    push.offer_made(first.id, {"offer_id": 7})
    push.follow_up_due(first.id, {"case_id": 2})
    push.rota_notice(first.id, {"id": 4})
    push.transfer_failed(first.id, 11)
    assert [name for name, _data in names(mine)] == ["offer.new", "followup.due", "rota.notice", "transfer.failed"]
    assert names(theirs) == []
    mine.disconnect()
    theirs.disconnect()


def test_a_risk_alert_with_nobody_on_call_reaches_every_supervisor(app: Flask, make_user: Callable[..., User]) -> None:
    supervisor, worker = console_of(app, make_user("supervisor")), console_of(app, make_user("worker"))
    push.risk_alert(set(), {"call_id": 5})
    assert names(supervisor) == [("risk.alert", {"call_id": 5})]
    assert names(worker) == []
    supervisor.disconnect()
    worker.disconnect()
