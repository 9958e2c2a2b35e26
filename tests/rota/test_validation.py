"""Every validation rule, on the draft the editor shows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from hotline.directory.models import ExpertVolunteer
from hotline.rota.models import LeaveRequest, WorkerProfile
from hotline.rota.rules import RotaRules, save_rules
from hotline.rota.validation import RULES, hours_by_week, validate
from tests.rota.conftest import SHANGHAI, local

DAY = date(2026, 3, 10)  # a Tuesday


def rules_of(issues: list, user: Any = None) -> set[str]:
    return {i.rule for i in issues if user is None or i.user_id == user.id}


def full(crew: dict) -> dict:
    return {"workers": [crew["ann"], crew["cy"]], "supervisors": [crew["sue"]]}


def test_a_fully_staffed_shift_has_no_issues(db_session: Any, make_shift: Any, crew: dict) -> None:
    make_shift(DAY, 9, 13, **full(crew))
    assert validate(db_session, DAY, DAY) == []


def test_expired_and_missing_certificates_are_errors_with_the_reason(
    db_session: Any, make_shift: Any, crew: dict
) -> None:
    make_shift(DAY, 9, 13, workers=[crew["ann"], crew["bo"], crew["old"], crew["none"]], supervisors=[crew["sue"]])
    issues = validate(db_session, DAY, DAY)
    assert rules_of(issues, crew["old"]) == {"certificate_expired"}
    assert "2025-12-31" in next(i.message for i in issues if i.user_id == crew["old"].id)
    assert rules_of(issues, crew["none"]) == {"certificate_missing"}
    assert all(i.severity == "error" for i in issues)


def test_a_supervisor_needs_a_senior_certificate(db_session: Any, make_shift: Any, crew: dict) -> None:
    make_shift(DAY, 9, 13, workers=[crew["ann"], crew["cy"]], supervisors=[crew["bo"]])
    issues = validate(db_session, DAY, DAY)
    assert rules_of(issues, crew["bo"]) == {"supervisor_level"}
    assert "no_supervisor" in rules_of(issues)


def test_understaffed_no_qualified_and_no_supervisor(db_session: Any, make_shift: Any, crew: dict) -> None:
    make_shift(DAY, 9, 13, workers=[crew["cy"]])
    issues = validate(db_session, DAY, DAY)
    assert rules_of(issues) == {"understaffed", "no_qualified", "no_supervisor"}
    understaffed = next(i for i in issues if i.rule == "understaffed")
    assert understaffed.data == {"have": 1, "need": 2}


def test_uncertified_workers_do_not_count_towards_staffing(db_session: Any, make_shift: Any, crew: dict) -> None:
    make_shift(DAY, 9, 13, workers=[crew["ann"], crew["old"]], supervisors=[crew["sue"]])
    assert "understaffed" in rules_of(validate(db_session, DAY, DAY))


def test_double_booking_overlapping_shifts(db_session: Any, make_shift: Any, crew: dict) -> None:
    make_shift(DAY, 9, 13, **full(crew))
    make_shift(DAY, 12, 16, workers=[crew["ann"], crew["bo"]], supervisors=[crew["sue"]], label="加班")
    issues = validate(db_session, DAY, DAY)
    assert rules_of(issues, crew["ann"]) == {"double_booking"}
    assert rules_of(issues, crew["sue"]) == {"double_booking"}


def test_back_to_back_shifts_are_fine_but_short_rest_is_not(db_session: Any, make_shift: Any, crew: dict) -> None:
    make_shift(DAY, 9, 13, **full(crew))
    make_shift(DAY, 13, 17, **full(crew))
    assert validate(db_session, DAY, DAY) == []
    make_shift(DAY, 22, 2, label="夜班", **full(crew))  # 5 h after 17:00, crossing midnight
    issues = validate(db_session, DAY, DAY)
    assert rules_of(issues, crew["ann"]) == {"min_rest"}
    assert "5.0" in next(i.message for i in issues if i.user_id == crew["ann"].id)


def test_maximum_hours_per_week(db_session: Any, make_shift: Any, crew: dict) -> None:
    save_rules(db_session, RotaRules(max_hours_per_week=16), None)
    monday = DAY - timedelta(days=1)
    for offset in range(5):  # 4 h a day, Monday to Friday: 20 h
        make_shift(monday + timedelta(days=offset), 9, 13, **full(crew))
    issues = validate(db_session, monday, monday + timedelta(days=6))
    flagged = sorted({i.shift_id for i in issues if i.rule == "max_hours" and i.user_id == crew["ann"].id})
    assert len(flagged) == 1  # the fifth shift takes her over 16 h
    # A part-time limit on the worker's profile wins over the rota's.
    db_session.add(WorkerProfile(user_id=crew["cy"].id, max_hours_per_week=8))
    db_session.commit()
    issues = validate(db_session, monday, monday + timedelta(days=6))
    assert len({i.shift_id for i in issues if i.rule == "max_hours" and i.user_id == crew["cy"].id}) == 3


def test_hours_of_a_shift_crossing_into_a_new_week_are_split() -> None:
    sunday = date(2026, 3, 15)
    split = hours_by_week(local(sunday, 20), local(sunday + timedelta(days=1), 4), SHANGHAI)
    assert split == {date(2026, 3, 9): 4.0, date(2026, 3, 16): 4.0}


def test_approved_leave_is_an_error_and_pending_leave_a_warning(db_session: Any, make_shift: Any, crew: dict) -> None:
    make_shift(DAY, 9, 13, workers=[crew["ann"], crew["bo"], crew["cy"]], supervisors=[crew["sue"]])
    db_session.add(
        LeaveRequest(user_id=crew["ann"].id, starts_at=local(DAY, 0), ends_at=local(DAY, 23), status="approved")
    )
    db_session.add(
        LeaveRequest(user_id=crew["bo"].id, starts_at=local(DAY, 12), ends_at=local(DAY, 18), status="pending")
    )
    db_session.add(
        LeaveRequest(user_id=crew["cy"].id, starts_at=local(DAY, 13), ends_at=local(DAY, 18), status="approved")
    )
    db_session.commit()
    issues = validate(db_session, DAY, DAY)
    assert rules_of(issues, crew["ann"]) == {"on_leave"}
    assert rules_of(issues, crew["bo"]) == {"leave_pending"}
    assert rules_of(issues, crew["cy"]) == set()  # leave starting at the shift's end does not overlap
    assert next(i for i in issues if i.rule == "leave_pending").severity == "warning"


def test_expert_duty_checks_skill_and_duty_days(db_session: Any, make_shift: Any, crew: dict) -> None:
    lawyer = ExpertVolunteer(name="Han", profession="lawyer", skills=["legal"], duty_weekdays=[1, 3])
    db_session.add(lawyer)
    db_session.commit()
    shift = make_shift(DAY, 9, 13, experts=[lawyer], **full(crew))
    issues = validate(db_session, DAY, DAY)
    assert rules_of(issues) == {"expert_off_day"}  # Tuesday is not one of his days: a warning
    shift.draft_assignments[-1].skill = "medical"
    db_session.commit()
    assert rules_of(validate(db_session, DAY, DAY)) == {"expert_off_day", "expert_skill"}


def test_inactive_accounts_are_flagged(db_session: Any, make_shift: Any, crew: dict) -> None:
    crew["bo"].active = False
    db_session.commit()
    make_shift(DAY, 9, 13, workers=[crew["ann"], crew["cy"], crew["bo"]], supervisors=[crew["sue"]])
    assert rules_of(validate(db_session, DAY, DAY), crew["bo"]) == {"inactive"}


def test_proposed_changes_are_checked_without_being_saved(db_session: Any, make_shift: Any, crew: dict) -> None:
    shift = make_shift(DAY, 9, 13, **full(crew))
    ann = next(a for a in shift.draft_assignments if a.user_id == crew["ann"].id)
    issues = validate(db_session, DAY, DAY, changes=[{"op": "remove", "assignment_id": ann.id}])
    assert rules_of(issues) == {"understaffed", "no_qualified"}
    issues = validate(
        db_session,
        DAY,
        DAY,
        changes=[{"op": "add", "shift_id": shift.id, "duty": "duty_worker", "user_id": crew["old"].id}],
    )
    assert rules_of(issues) == {"certificate_expired"}
    assert validate(db_session, DAY, DAY) == []


def test_the_published_layer_is_checked_separately(db_session: Any, make_shift: Any, crew: dict) -> None:
    make_shift(DAY, 9, 13, layers=("published",), **full(crew))
    assert rules_of(validate(db_session, DAY, DAY)) == {"understaffed", "no_qualified", "no_supervisor"}
    assert validate(db_session, DAY, DAY, layer="published") == []


@pytest.mark.parametrize("rule", sorted(RULES))
def test_every_rule_has_a_severity(rule: str) -> None:
    assert RULES[rule] in ("error", "warning")


def test_only_shifts_in_the_range_are_reported(db_session: Any, make_shift: Any, crew: dict) -> None:
    make_shift(DAY, 9, 13, workers=[crew["cy"]])
    assert validate(db_session, DAY + timedelta(days=1), DAY + timedelta(days=2)) == []
    # The range is in local dates: 00:30 Shanghai on the 11th is still the 10th in UTC.
    make_shift(DAY + timedelta(days=1), 0, 4, workers=[crew["cy"]], label="凌晨")
    assert datetime(2026, 3, 10, 16, 30, tzinfo=UTC) == local(DAY + timedelta(days=1), 0, 30)
    assert {i.rule for i in validate(db_session, DAY + timedelta(days=1), DAY + timedelta(days=1))} >= {"understaffed"}


def test_fourteen_duty_days_in_a_row_are_warned_after_the_manager_set_limit(
    db_session: Any, make_shift: Any, crew: dict
) -> None:
    from dataclasses import replace

    from hotline.rota.rules import load_rules

    first = date(2026, 3, 2)  # a Monday
    for offset in range(14):
        make_shift(first + timedelta(days=offset), 9, 13, workers=[crew["ann"], crew["bo"]], supervisors=[crew["sue"]])
    issues = [i for i in validate(db_session, first, first + timedelta(days=13)) if i.rule == "consecutive_days"]
    assert {i.user_id for i in issues} == {crew["ann"].id, crew["bo"].id, crew["sue"].id}
    sue = sorted((i for i in issues if i.user_id == crew["sue"].id), key=lambda i: i.data["days"])
    assert [i.data["days"] for i in sue] == list(range(7, 15)) and all(i.severity == "warning" for i in sue)
    assert "14" in sue[-1].message
    # The second week alone still sees the run that began the week before.
    later = [
        i
        for i in validate(db_session, first + timedelta(days=7), first + timedelta(days=13))
        if i.user_id == crew["sue"].id and i.rule == "consecutive_days"
    ]
    assert len(later) == 7
    save_rules(db_session, replace(load_rules(db_session), max_consecutive_days=14), None)
    assert not [i for i in validate(db_session, first, first + timedelta(days=13)) if i.rule == "consecutive_days"]
