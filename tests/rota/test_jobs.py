"""Scheduled work: reminders, shift start and end pushes, the certificate check; none sends twice."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import time_machine
from sqlalchemy import func, select

from hotline.rota import jobs
from hotline.rota.models import RotaMark, RotaNotice
from hotline.rota.notices import deliver_pending_sms
from hotline.scheduler import JOBS, resolve
from tests.rota.conftest import local

DAY = date(2026, 3, 10)


def count(session: Any, kind: str) -> int:
    return session.scalar(select(func.count(RotaNotice.id)).where(RotaNotice.kind == kind)) or 0


def test_a_reminder_is_sent_once_before_each_shift(db_session: Any, make_shift: Any, crew: dict, provider: Any) -> None:
    make_shift(DAY, 9, 13, workers=[crew["ann"], crew["cy"]], supervisors=[crew["sue"]])
    make_shift(DAY, 9, 13, workers=[crew["bo"]], status="draft", label="草稿班")
    assert jobs.queue_shift_reminders(db_session, local(DAY, 6)) == []  # more than 2 h ahead
    made = jobs.queue_shift_reminders(db_session, local(DAY, 7, 30))
    assert {n.user_id for n in made} == {crew["ann"].id, crew["cy"].id, crew["sue"].id}
    assert "03-10 09:00" in made[0].body and "上午班" in made[0].body
    assert jobs.queue_shift_reminders(db_session, local(DAY, 8)) == []
    assert deliver_pending_sms(db_session, provider, local(DAY, 8)) == 3
    assert deliver_pending_sms(db_session, provider, local(DAY, 8)) == 0
    assert len(provider.messages) == 3


def test_shift_start_and_end_are_pushed_once(db_session: Any, make_shift: Any, crew: dict) -> None:
    shift = make_shift(DAY, 9, 13, workers=[crew["ann"]])
    assert jobs.push_shift_boundaries(db_session, local(DAY, 8, 59)) == []
    assert jobs.push_shift_boundaries(
        db_session,
        local(
            DAY,
            9,
            0,
        ),
    ) == [f"shift_started:{shift.id}:20260310T0100"]
    assert jobs.push_shift_boundaries(db_session, local(DAY, 9, 5)) == []
    assert jobs.push_shift_boundaries(db_session, local(DAY, 13, 1)) == [f"shift_ended:{shift.id}:20260310T0500"]
    assert jobs.push_shift_boundaries(db_session, local(DAY, 13, 2)) == []
    assert db_session.scalar(select(func.count()).select_from(RotaMark)) == 2
    # A boundary missed by more than the window (the scheduler was down) is not pushed late.
    later = make_shift(DAY, 15, 17, workers=[crew["bo"]], label="加班")
    assert jobs.push_shift_boundaries(db_session, local(DAY, 16)) == []
    assert later.id


def test_certificate_check_warns_worker_and_managers_once(
    db_session: Any, make_user: Any, crew: dict, make_shift: Any
) -> None:
    manager = make_user("manager")
    now = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)
    crew["bo"].certifications[0].valid_until = date(2026, 3, 25)  # 24 days away
    db_session.commit()
    make_shift(DAY, 9, 13, workers=[crew["old"]])  # lapsed: a planned duty is now uncovered
    made = jobs.check_certificates(db_session, now)
    expiring = [n for n in made if n.kind == "certificate_expiring"]
    assert {n.user_id for n in expiring} == {crew["bo"].id, manager.id}
    assert "2026-03-25" in expiring[0].body
    lapsed = [n for n in made if n.kind == "certificate_expired"]
    assert [n.user_id for n in lapsed] == [manager.id] and "Old" in lapsed[0].body
    assert jobs.check_certificates(db_session, now + timedelta(hours=1)) == []
    assert count(db_session, "certificate_expiring") == 2


def test_a_renewed_certificate_is_not_warned_about(db_session: Any, make_user: Any, crew: dict) -> None:
    from tests.rota.conftest import certificate

    make_user("manager")
    crew["bo"].certifications[0].valid_until = date(2026, 3, 25)
    certificate(crew["bo"], "intermediate", date(2029, 3, 25), date(2026, 1, 1))
    db_session.commit()
    made = jobs.check_certificates(db_session, datetime(2026, 3, 1, tzinfo=UTC))
    assert all(n.data.get("user_id") != crew["bo"].id for n in made)


def test_the_jobs_are_declared_for_the_single_scheduler() -> None:
    names = {job.name: job for job in JOBS}
    for name in ("rota-reminders", "rota-shift-pushes", "rota-certificates", "rota-sms", "rota-autodraft"):
        assert callable(resolve(names[name].target))


def test_the_tick_entry_points_run_in_an_app_context(
    app: Any, db_session: Any, make_shift: Any, crew: dict, provider: Any
) -> None:
    # The scheduler calls the ticks with no arguments: each finds the session, the clock and the
    # provider from the app context, and does its work.
    started = make_shift(DAY, 9, 13, workers=[crew["ann"]])
    make_shift(DAY, 10, 13, workers=[crew["cy"]], label="十点班")
    crew["bo"].certifications[0].valid_until = DAY + timedelta(days=10)
    db_session.commit()
    saved = app.extensions.get("hotline_telephony")
    app.extensions["hotline_telephony"] = provider
    try:
        with time_machine.travel(local(DAY, 9, 0), tick=False):
            jobs.reminders_tick()
            assert count(db_session, "shift_reminder") == 1
            jobs.shift_push_tick()
            assert db_session.get(RotaMark, f"shift_started:{started.id}:20260310T0100") is not None
            jobs.certificates_tick()
            assert count(db_session, "certificate_expiring") >= 1
            jobs.sms_tick()
            assert provider.messages
            jobs.autodraft_tick()
    finally:
        app.extensions["hotline_telephony"] = saved
