"""Publishing: hard errors block unless overridden with a reason; versions record what changed; workers are told."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select

from hotline.audit import AuditEntry
from hotline.rota import editing
from hotline.rota.exceptions import PublishBlocked
from hotline.rota.models import RotaNotice
from hotline.rota.notices import deliver_pending_sms
from hotline.rota.publishing import publish
from hotline.rota.services import on_duty_worker_ids
from tests.rota.conftest import local

NOW = datetime(2026, 3, 1, tzinfo=UTC)
DAY = date(2026, 3, 10)


def test_a_draft_with_hard_errors_is_not_published(
    db_session: Any, make_shift: Any, crew: dict, make_user: Any
) -> None:
    manager = make_user("manager")
    make_shift(DAY, 9, 13, workers=[crew["cy"]], status="draft")
    with pytest.raises(PublishBlocked) as blocked:
        publish(db_session, DAY, DAY, manager, NOW)
    assert {e["rule"] for e in blocked.value.errors} == {"understaffed", "no_qualified", "no_supervisor"}
    assert on_duty_worker_ids(db_session, local(DAY, 10)) == set()


def test_an_override_publishes_and_logs_the_reason(
    db_session: Any, make_shift: Any, crew: dict, make_user: Any
) -> None:
    manager = make_user("manager")
    make_shift(DAY, 9, 13, workers=[crew["cy"]], status="draft")
    version = publish(db_session, DAY, DAY, manager, NOW, override_reason="两人病假，临时缺岗")
    assert version.overridden and version.override_reason == "两人病假，临时缺岗"
    assert {e["rule"] for e in version.errors} == {"understaffed", "no_qualified", "no_supervisor"}
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "rota.publish"))
    assert entry.actor_id == manager.id and entry.detail["override_reason"] == "两人病假，临时缺岗"
    assert on_duty_worker_ids(db_session, local(DAY, 10)) == {crew["cy"].id}


def test_a_version_records_who_when_and_what_changed(
    db_session: Any, make_shift: Any, crew: dict, make_user: Any, provider: Any
) -> None:
    manager = make_user("manager")
    shift = make_shift(DAY, 9, 13, workers=[crew["ann"], crew["cy"]], supervisors=[crew["sue"]])
    cy = next(a for a in shift.draft_assignments if a.user_id == crew["cy"].id)
    editing.remove_assignment(db_session, cy.id, NOW)
    editing.add_assignment(db_session, shift.id, "duty_worker", NOW, user_id=crew["bo"].id)
    version = publish(db_session, DAY, DAY, manager, NOW)
    assert version.published_by_id == manager.id and version.published_at == NOW and not version.overridden
    assert sorted((c["name"], c["change"]) for c in version.changes) == [("Bo", "added"), ("Cy", "removed")]
    assert on_duty_worker_ids(db_session, local(DAY, 10)) == {crew["ann"].id, crew["bo"].id}
    notices = db_session.scalars(select(RotaNotice).order_by(RotaNotice.user_id)).all()
    assert {n.user_id for n in notices} == {crew["bo"].id, crew["cy"].id}  # Ann and Sue did not change
    assert all(n.sms_status == "pending" for n in notices)
    bo = next(n for n in notices if n.user_id == crew["bo"].id)
    assert "03-10 09:00-13:00" in bo.body and "上午班" in bo.body
    assert deliver_pending_sms(db_session, provider, NOW) == 2
    assert sorted(m["to"] for m in provider.messages) == ["+8613900000002", "+8613900000003"]
    assert deliver_pending_sms(db_session, provider, NOW) == 0  # nothing is sent twice
    assert publish(db_session, DAY, DAY, manager, NOW) is None  # nothing left to publish


def test_shifts_already_over_are_not_republished(db_session: Any, make_shift: Any, crew: dict, make_user: Any) -> None:
    manager = make_user("manager")
    shift = make_shift(DAY, 9, 13, workers=[crew["ann"], crew["cy"]], supervisors=[crew["sue"]])
    shift.draft_assignments.clear()
    db_session.commit()
    assert publish(db_session, DAY, DAY, manager, local(DAY, 14)) is None
    assert len(shift.assignments) == 3


def test_a_failing_sms_is_retried(db_session: Any, make_shift: Any, crew: dict, make_user: Any) -> None:
    class Broken:
        def send_sms(self, to: str, body: str, status_callback: str | None = None) -> str:
            raise RuntimeError("network down")

    manager = make_user("manager")
    make_shift(DAY, 9, 13, workers=[crew["ann"], crew["cy"]], supervisors=[crew["sue"]], status="draft")
    publish(db_session, DAY, DAY, manager, NOW)
    assert deliver_pending_sms(db_session, Broken(), NOW) == 0
    notice = db_session.scalars(select(RotaNotice)).first()
    assert notice.sms_status == "pending" and notice.sms_attempts == 1
