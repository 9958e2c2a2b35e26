"""Swaps and leave: asked by a worker, decided by a manager, with the rules checked again."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select

from hotline.rota import swaps
from hotline.rota.exceptions import NotEligible, RequestNotValid
from hotline.rota.models import RotaNotice, RotaVersion
from hotline.rota.services import on_duty_worker_ids
from tests.rota.conftest import local

NOW = datetime(2026, 3, 1, tzinfo=UTC)
DAY = date(2026, 3, 10)
NEXT = date(2026, 3, 11)


@pytest.fixture
def manager(make_user: Any) -> Any:
    return make_user("manager")


def staffed(make_shift: Any, crew: dict, day: date = DAY, workers: list | None = None) -> Any:
    return make_shift(day, 9, 13, workers=workers or [crew["ann"], crew["cy"]], supervisors=[crew["sue"]])


def test_eligible_colleagues_have_a_valid_certificate_and_are_not_on_the_shift(
    db_session: Any, make_shift: Any, crew: dict
) -> None:
    shift = staffed(make_shift, crew)
    names = {u.display_name for u in swaps.eligible_colleagues(db_session, crew["ann"], shift.id, NOW)}
    assert names == {"Bo"}  # Cy and Sue are on it; Old has expired; None has no certificate


def test_a_swap_handed_over_and_approved(db_session: Any, make_shift: Any, crew: dict, manager: Any) -> None:
    shift = staffed(make_shift, crew)
    swap = swaps.request_swap(db_session, crew["ann"], shift.id, crew["bo"].id, NOW, reason="家里有事")
    assert swap.status == "pending"
    assert db_session.scalar(select(RotaNotice).where(RotaNotice.user_id == manager.id)).kind == "swap"
    swaps.decide_swap(db_session, swap.id, True, manager, NOW)
    assert swap.status == "approved" and swap.decided_by_id == manager.id
    assert on_duty_worker_ids(db_session, local(DAY, 10)) == {crew["bo"].id, crew["cy"].id}
    assert {a.user_id for a in shift.draft_assignments} == {crew["bo"].id, crew["cy"].id, crew["sue"].id}
    version = db_session.scalar(select(RotaVersion).where(RotaVersion.kind == "swap"))
    assert sorted((c["name"], c["change"]) for c in version.changes) == [("Ann", "removed"), ("Bo", "added")]
    told = {n.user_id for n in db_session.scalars(select(RotaNotice).where(RotaNotice.kind == "swap"))}
    assert {crew["ann"].id, crew["bo"].id} <= told


def test_an_exchange_of_shifts(db_session: Any, make_shift: Any, crew: dict, manager: Any) -> None:
    mine = staffed(make_shift, crew)
    theirs = staffed(make_shift, crew, NEXT, workers=[crew["bo"], crew["cy"]])
    swap = swaps.request_swap(db_session, crew["ann"], mine.id, crew["bo"].id, NOW, colleague_shift_id=theirs.id)
    swaps.decide_swap(db_session, swap.id, True, manager, NOW)
    assert on_duty_worker_ids(db_session, local(DAY, 10)) == {crew["bo"].id, crew["cy"].id}
    assert on_duty_worker_ids(db_session, local(NEXT, 10)) == {crew["ann"].id, crew["cy"].id}


def test_an_ineligible_colleague_is_refused(db_session: Any, make_shift: Any, crew: dict) -> None:
    shift = staffed(make_shift, crew)
    with pytest.raises(NotEligible):
        swaps.request_swap(db_session, crew["ann"], shift.id, crew["old"].id, NOW)
    with pytest.raises(NotEligible):
        swaps.request_swap(db_session, crew["ann"], shift.id, crew["cy"].id, NOW)


def test_a_swap_that_would_break_a_rule_is_not_approved(
    db_session: Any, make_shift: Any, crew: dict, manager: Any
) -> None:
    shift = staffed(make_shift, crew)
    swap = swaps.request_swap(db_session, crew["ann"], shift.id, crew["bo"].id, NOW)
    # Meanwhile Bo is put on an overlapping shift.
    make_shift(DAY, 11, 15, workers=[crew["bo"], crew["ann"]], supervisors=[crew["sue"]], label="加班")
    with pytest.raises(RequestNotValid) as refused:
        swaps.decide_swap(db_session, swap.id, True, manager, NOW)
    assert "double_booking" in {e["rule"] for e in refused.value.errors}
    db_session.expire_all()
    assert swap.status == "pending"
    swaps.decide_swap(db_session, swap.id, False, manager, NOW, note="冲突")
    assert swap.status == "refused"
    with pytest.raises(RequestNotValid):
        swaps.decide_swap(db_session, swap.id, True, manager, NOW)


def test_approved_leave_takes_the_worker_off_and_shows_the_gap(
    db_session: Any, make_shift: Any, crew: dict, manager: Any
) -> None:
    shift = staffed(make_shift, crew)
    leave = swaps.request_leave(db_session, crew["ann"], local(DAY, 0), local(NEXT, 0), NOW, reason="病假")
    assert leave.status == "pending"
    assert [s.id for s in swaps.leave_shifts(db_session, leave, NOW)] == [shift.id]
    _, issues = swaps.decide_leave(db_session, leave.id, True, manager, NOW)
    assert leave.status == "approved"
    assert on_duty_worker_ids(db_session, local(DAY, 10)) == {crew["cy"].id}
    assert {a.user_id for a in shift.draft_assignments} == {crew["cy"].id, crew["sue"].id}
    assert {i.rule for i in issues} == {"understaffed", "no_qualified"}
    assert db_session.scalar(select(RotaVersion).where(RotaVersion.kind == "leave")).changes[0]["name"] == "Ann"


def test_refused_leave_changes_nothing(db_session: Any, make_shift: Any, crew: dict, manager: Any) -> None:
    staffed(make_shift, crew)
    leave = swaps.request_leave(db_session, crew["ann"], local(DAY, 0), local(NEXT, 0), NOW)
    swaps.decide_leave(db_session, leave.id, False, manager, NOW)
    assert leave.status == "refused"
    assert on_duty_worker_ids(db_session, local(DAY, 10)) == {crew["ann"].id, crew["cy"].id}


def test_leave_must_make_sense_and_can_be_withdrawn(db_session: Any, crew: dict) -> None:
    with pytest.raises(RequestNotValid):
        swaps.request_leave(db_session, crew["ann"], local(DAY, 10), local(DAY, 9), NOW)
    leave = swaps.request_leave(db_session, crew["ann"], local(DAY, 9), local(DAY, 17), NOW)
    swaps.cancel_request(db_session, crew["ann"], "leave", leave.id)
    assert leave.status == "cancelled"
