"""Opening a call's page is audited; a manager (figures, not calls) cannot open it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from hotline.audit import AuditEntry
from tests.conftest import log_in


def test_opening_the_call_page_is_audited(app: Any, client: Any, accepted_call: Any, db_session: Any) -> None:
    worker, call = accepted_call
    log_in(client, worker)
    assert client.get(f"/console/calls/{call.id}").status_code == 200
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "call.view"))
    assert entry.actor_id == worker.id and entry.target == f"call:{call.id}"


def test_a_manager_does_not_open_calls(app: Any, accepted_call: Any, make_user: Any) -> None:
    _worker, call = accepted_call
    manager = log_in(app.test_client(), make_user("manager"))
    assert manager.get(f"/console/calls/{call.id}").status_code == 404
