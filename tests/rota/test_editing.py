"""Editing the draft: generating weeks, adding, moving and removing duties, per-date changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from hotline.directory.models import ExpertVolunteer
from hotline.rota import editing
from hotline.rota.exceptions import AlreadyAssigned, CertificateProblem, InvalidShift, ShiftEnded, ShiftPublished
from hotline.rota.services import on_duty_worker_ids
from tests.rota.conftest import SHANGHAI, local

NOW = datetime(2026, 3, 1, tzinfo=UTC)
MONDAY = date(2026, 3, 9)


def test_generating_weeks_follows_the_default_pattern(db_session: Any) -> None:
    db_session.add(ExpertVolunteer(name="Han", profession="lawyer", skills=["legal"], duty_weekdays=[1]))
    db_session.commit()
    made = editing.generate_weeks(db_session, MONDAY, 2, NOW)
    assert len(made) == 28
    first = made[0]
    assert first.starts_at == local(MONDAY, 9) and first.ends_at == local(MONDAY, 13)
    assert (first.min_duty_workers, first.min_qualified, first.min_supervisors) == (2, 1, 1)
    assert all(shift.status == "draft" for shift in made)
    assert [a.expert.name for a in first.draft_assignments] == ["Han"]  # Monday is his duty day
    assert made[2].draft_assignments == []  # Tuesday morning
    assert editing.generate_weeks(db_session, MONDAY, 2, NOW) == []  # nothing twice


def test_a_shift_ending_at_or_before_its_start_crosses_midnight() -> None:
    starts_at, ends_at = editing.shift_times(MONDAY, time(22), time(6))
    assert starts_at.astimezone(SHANGHAI).date() == MONDAY
    assert ends_at == datetime(2026, 3, 10, 6, tzinfo=SHANGHAI)


def test_an_expired_certificate_blocks_an_answering_duty_with_the_reason(
    db_session: Any, make_shift: Any, crew: dict
) -> None:
    shift = make_shift(MONDAY, 9, 13, status="draft")
    with pytest.raises(CertificateProblem) as refused:
        editing.add_assignment(db_session, shift.id, "duty_worker", NOW, user_id=crew["old"].id)
    assert refused.value.reason == "expired" and "2025-12-31" in str(refused.value)
    with pytest.raises(CertificateProblem) as refused:
        editing.add_assignment(db_session, shift.id, "duty_worker", NOW, user_id=crew["none"].id)
    assert refused.value.reason == "missing"
    with pytest.raises(CertificateProblem) as refused:
        editing.add_assignment(db_session, shift.id, "supervisor", NOW, user_id=crew["cy"].id)
    assert refused.value.reason == "level"


def test_add_move_remove_change_only_the_draft(db_session: Any, make_shift: Any, crew: dict) -> None:
    morning = make_shift(MONDAY, 9, 13, workers=[crew["ann"]])
    afternoon = make_shift(MONDAY, 13, 17)
    added = editing.add_assignment(db_session, morning.id, "duty_worker", NOW, user_id=crew["bo"].id)
    with pytest.raises(AlreadyAssigned):
        editing.add_assignment(db_session, morning.id, "supervisor", NOW, user_id=crew["bo"].id)
    moved = editing.move_assignment(db_session, added.id, afternoon.id, NOW)
    assert moved.shift_id == afternoon.id and moved.user_id == crew["bo"].id
    assert {a.user_id for a in morning.draft_assignments} == {crew["ann"].id}
    editing.remove_assignment(db_session, morning.draft_assignments[0].id, NOW)
    assert morning.draft_assignments == []
    # What is in force did not change.
    assert on_duty_worker_ids(db_session, local(MONDAY, 10)) == {crew["ann"].id}


def test_a_refused_move_leaves_the_duty_where_it_was(db_session: Any, make_shift: Any, crew: dict) -> None:
    morning = make_shift(MONDAY, 9, 13, workers=[crew["ann"]])
    afternoon = make_shift(MONDAY, 13, 17, workers=[crew["ann"]])
    with pytest.raises(AlreadyAssigned):
        editing.move_assignment(db_session, morning.draft_assignments[0].id, afternoon.id, NOW)
    db_session.expire_all()
    assert [a.user_id for a in morning.draft_assignments] == [crew["ann"].id]


def test_changing_duty_within_a_shift(db_session: Any, make_shift: Any, crew: dict) -> None:
    shift = make_shift(MONDAY, 9, 13, workers=[crew["sue"]])
    moved = editing.move_assignment(db_session, shift.draft_assignments[0].id, shift.id, NOW, duty="supervisor")
    assert moved.duty == "supervisor"


def test_ended_shifts_are_not_edited(db_session: Any, make_shift: Any, crew: dict) -> None:
    shift = make_shift(MONDAY, 9, 13)
    with pytest.raises(ShiftEnded):
        editing.add_assignment(db_session, shift.id, "duty_worker", local(MONDAY, 13), user_id=crew["ann"].id)


@pytest.mark.parametrize("minimums", [(1, 2, 1), (-1, 0, 1), (2, 1, -1)])
def test_minimums_that_do_not_add_up_are_refused_and_nothing_changes(
    db_session: Any, make_shift: Any, minimums: tuple[int, int, int]
) -> None:
    shift = make_shift(MONDAY, 9, 13, status="draft")
    with pytest.raises(InvalidShift):
        editing.update_shift(db_session, shift.id, NOW, *minimums)
    db_session.refresh(shift)
    assert (shift.min_duty_workers, shift.min_qualified, shift.min_supervisors) == (2, 1, 1)


def test_the_minimums_of_a_shift_that_is_over_are_not_changed(db_session: Any, make_shift: Any) -> None:
    shift = make_shift(MONDAY, 9, 13)
    with pytest.raises(ShiftEnded):
        editing.update_shift(db_session, shift.id, local(MONDAY, 13), 3, 1, 1)


def test_per_date_changes(db_session: Any, make_shift: Any) -> None:
    extra = editing.create_shift(db_session, MONDAY, time(18), time(21), "晚班", NOW, min_duty_workers=1)
    assert extra.status == "draft" and extra.min_duty_workers == 1
    editing.update_shift(db_session, extra.id, NOW, 3, 2, 1)
    assert (extra.min_duty_workers, extra.min_qualified) == (3, 2)
    editing.delete_shift(db_session, extra.id, NOW)
    published = make_shift(MONDAY, 9, 13)
    with pytest.raises(ShiftPublished):
        editing.delete_shift(db_session, published.id, NOW)
    with pytest.raises(InvalidShift):
        editing.create_shift(db_session, MONDAY - timedelta(days=30), time(9), time(13), "过去", NOW)
