"""Who is on duty: published shifts only, certified people only, start inclusive and end exclusive."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from hotline.directory.models import ExpertVolunteer
from hotline.rota.services import on_duty, on_duty_worker_ids
from tests.rota.conftest import local

DAY = date(2026, 3, 10)  # a Tuesday


def test_boundaries_are_start_inclusive_and_end_exclusive(db_session: Any, make_shift: Any, crew: dict) -> None:
    make_shift(DAY, 9, 13, workers=[crew["ann"], crew["bo"]], supervisors=[crew["sue"]])
    afternoon = make_shift(DAY, 13, 17, workers=[crew["cy"]])
    assert on_duty_worker_ids(db_session, local(DAY, 9)) == {crew["ann"].id, crew["bo"].id}
    assert on_duty_worker_ids(db_session, local(DAY, 9) - timedelta(microseconds=1)) == set()
    assert on_duty_worker_ids(db_session, local(DAY, 13) - timedelta(microseconds=1)) == {crew["ann"].id, crew["bo"].id}
    assert on_duty_worker_ids(db_session, local(DAY, 13)) == {crew["cy"].id}
    assert on_duty_worker_ids(db_session, afternoon.ends_at) == set()


def test_the_answer_lists_shift_duty_level_and_skills(db_session: Any, make_shift: Any, crew: dict) -> None:
    crew["ann"].skills = ["crisis", "emotional"]
    db_session.commit()
    shift = make_shift(DAY, 9, 13, workers=[crew["ann"], crew["cy"]], supervisors=[crew["sue"]])
    answer = on_duty(db_session, local(DAY, 10))
    rows = {worker.name: worker for worker in answer.workers}
    assert set(rows) == {"Ann", "Cy", "Sue"}
    assert rows["Ann"].level == "intermediate" and rows["Ann"].skills == ["crisis", "emotional"]
    assert rows["Cy"].level == "assistant" and rows["Sue"].duty == "supervisor" and rows["Sue"].level == "senior"
    assert rows["Ann"].shift_id == shift.id and rows["Ann"].starts_at == shift.starts_at
    assert [w.name for w in on_duty(db_session, local(DAY, 10), role="supervisor").workers] == ["Sue"]
    assert [w.name for w in on_duty(db_session, local(DAY, 10), skill="crisis").workers] == ["Ann"]
    payload = answer.as_dict()
    assert payload["workers"][0]["shift"]["label"] == "上午班"


def test_expired_and_missing_certificates_are_never_on_duty(db_session: Any, make_shift: Any, crew: dict) -> None:
    make_shift(DAY, 9, 13, workers=[crew["ann"], crew["old"], crew["none"]])
    names = {w.name for w in on_duty(db_session, local(DAY, 10)).workers}
    assert names == {"Ann"}
    assert on_duty_worker_ids(db_session, local(DAY, 10)) == {crew["ann"].id}


def test_a_certificate_counts_until_the_end_of_its_last_local_day(db_session: Any, make_shift: Any, crew: dict) -> None:
    crew["ann"].certifications[0].valid_until = DAY
    db_session.commit()
    make_shift(DAY, 20, 2, workers=[crew["ann"]])  # crosses midnight into the day after expiry
    assert on_duty_worker_ids(db_session, local(DAY, 23, 59)) == {crew["ann"].id}
    assert on_duty_worker_ids(db_session, local(DAY + timedelta(days=1), 0, 30)) == set()


def test_draft_shifts_and_draft_duties_are_not_on_duty(db_session: Any, make_shift: Any, crew: dict) -> None:
    make_shift(DAY, 9, 13, workers=[crew["ann"]], status="draft")
    make_shift(DAY, 9, 13, workers=[crew["bo"]], layers=("draft",), label="加班")
    assert on_duty(db_session, local(DAY, 10)).workers == []


def test_a_shift_crossing_midnight_covers_both_days(db_session: Any, make_shift: Any, crew: dict) -> None:
    make_shift(DAY, 22, 6, workers=[crew["bo"]], label="夜班")
    assert on_duty_worker_ids(db_session, local(DAY, 22)) == {crew["bo"].id}
    assert on_duty_worker_ids(db_session, local(DAY + timedelta(days=1), 5, 59)) == {crew["bo"].id}
    assert on_duty_worker_ids(db_session, local(DAY + timedelta(days=1), 6)) == set()


def test_the_moment_is_read_in_any_zone(db_session: Any, make_shift: Any, crew: dict) -> None:
    make_shift(DAY, 9, 13, workers=[crew["ann"]])
    # 09:00 in Shanghai is 01:00 UTC.
    assert on_duty_worker_ids(db_session, datetime(2026, 3, 10, 1, 0, tzinfo=UTC)) == {crew["ann"].id}
    assert on_duty_worker_ids(db_session, datetime(2026, 3, 10, 0, 59, tzinfo=UTC)) == set()


def test_experts_on_expert_duty_are_listed_with_their_skill(db_session: Any, make_shift: Any, crew: dict) -> None:
    lawyer = ExpertVolunteer(
        name="Han", profession="lawyer", skills=["legal"], duty_weekdays=[2], phone="+8613900000009"
    )
    db_session.add(lawyer)
    db_session.commit()
    make_shift(DAY, 9, 13, workers=[crew["ann"]], experts=[lawyer])
    answer = on_duty(db_session, local(DAY, 11))
    assert [(e.name, e.skill) for e in answer.experts] == [("Han", "legal")]
    assert on_duty(db_session, local(DAY, 11), skill="psychology").experts == []
    assert on_duty(db_session, local(DAY, 11), role="expert").workers == []


def test_inactive_workers_are_not_on_duty(db_session: Any, make_shift: Any, crew: dict) -> None:
    crew["ann"].active = False
    db_session.commit()
    make_shift(DAY, 9, 13, workers=[crew["ann"]])
    assert on_duty_worker_ids(db_session, local(DAY, 10)) == set()
    assert on_duty(db_session, local(DAY, 10)).workers == []
