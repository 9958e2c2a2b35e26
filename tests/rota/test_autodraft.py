"""The automatic draft: every hard rule holds, published shifts are kept, an impossible request is explained."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from hotline.rota import autodraft, editing
from hotline.rota.models import LeaveRequest, RotaPreference
from hotline.rota.rules import RotaRules, save_rules
from hotline.rota.services import shifts_between
from hotline.rota.validation import hard_errors, validate
from tests.rota.conftest import local

NOW = datetime(2026, 3, 1, tzinfo=UTC)
MONDAY = date(2026, 3, 9)
SUNDAY = MONDAY + timedelta(days=6)


@pytest.fixture
def team(make_user: Any) -> dict[str, list]:
    """Eight workers (four intermediate, four assistants) and two senior supervisors."""
    return {
        "workers": [make_user("worker", level="intermediate" if i < 4 else "assistant") for i in range(8)],
        "supervisors": [make_user("supervisor", level="senior") for _ in range(2)],
    }


def run(db_session: Any, date_from: date = MONDAY, date_to: date = SUNDAY) -> Any:
    request = autodraft.queue_request(db_session, date_from, date_to, None, NOW)
    return autodraft.run_request(db_session, request.id, NOW)


def test_a_draft_keeps_every_hard_rule(db_session: Any, team: dict) -> None:
    save_rules(db_session, RotaRules(max_hours_per_week=32, autodraft_time_limit_seconds=10), None)
    editing.generate_weeks(db_session, MONDAY, 1, NOW)
    leave_taker = team["workers"][0]
    db_session.add(
        LeaveRequest(
            user_id=leave_taker.id,
            starts_at=local(MONDAY, 0),
            ends_at=local(MONDAY + timedelta(days=3), 0),
            status="approved",
        )
    )
    db_session.commit()
    done = run(db_session)
    assert done.status == "done" and done.progress == 100, done.explanation
    assert done.result["shifts"] == 14 and done.result["assignments"] == 14 * 3
    assert hard_errors(validate(db_session, MONDAY, SUNDAY)) == []
    for shift in shifts_between(db_session, MONDAY, SUNDAY):
        duties = Counter(a.duty for a in shift.draft_assignments)
        assert duties["duty_worker"] == 2 and duties["supervisor"] == 1
        if shift.starts_at < local(MONDAY + timedelta(days=3), 0):
            assert leave_taker.id not in {a.user_id for a in shift.draft_assignments}


def test_the_load_is_spread_fairly(db_session: Any, team: dict) -> None:
    save_rules(db_session, RotaRules(autodraft_time_limit_seconds=10), None)
    editing.generate_weeks(db_session, MONDAY, 1, NOW)
    done = run(db_session)
    loads = [load for name, load in done.result["load"].items() if name.startswith("Worker")]
    # 28 duty-worker shifts of 4 h, weekends weigh 1.5: within one shift of each other.
    assert max(loads) - min(loads) <= 6 + 0.01


def test_published_shifts_are_kept(db_session: Any, team: dict, make_shift: Any) -> None:
    save_rules(db_session, RotaRules(autodraft_time_limit_seconds=10), None)
    w, s = team["workers"], team["supervisors"]
    kept = make_shift(MONDAY, 9, 13, workers=[w[0], w[4]], supervisors=[s[0]])
    editing.generate_weeks(db_session, MONDAY, 1, NOW)
    done = run(db_session)
    assert done.status == "done" and done.result["shifts"] == 13
    assert {a.user_id for a in kept.draft_assignments} == {w[0].id, w[4].id, s[0].id}


def test_wishes_are_honoured_when_possible(db_session: Any, team: dict) -> None:
    save_rules(db_session, RotaRules(autodraft_time_limit_seconds=10), None)
    avoider = team["workers"][1]
    db_session.add(RotaPreference(user_id=avoider.id, weekday=None, label="上午班", wish=-1))
    db_session.commit()
    editing.generate_weeks(db_session, MONDAY, 1, NOW)
    assert run(db_session).status == "done"
    mornings = [s for s in shifts_between(db_session, MONDAY, SUNDAY) if s.label == "上午班"]
    assert all(avoider.id not in {a.user_id for a in s.draft_assignments} for s in mornings)


def test_too_few_certified_workers_is_explained(db_session: Any, make_user: Any) -> None:
    make_user("worker", level="intermediate")
    make_user("worker", certified=False)
    editing.generate_weeks(db_session, MONDAY, 1, NOW)
    done = run(db_session, MONDAY, MONDAY)
    assert done.status == "infeasible"
    assert {item["rule"] for item in done.explanation} == {"staffing_candidates", "supervisor_candidates"}
    message = autodraft.explain(done.explanation[0])
    assert "2026-03-09 上午班" in message and "2" in message and "1" in message


def test_one_person_cannot_take_two_duties_in_a_shift(db_session: Any, make_user: Any) -> None:
    make_user("worker", level="intermediate")
    make_user("supervisor", level="senior")
    editing.generate_weeks(db_session, MONDAY, 1, NOW)
    done = run(db_session, MONDAY, MONDAY)
    assert {item["rule"] for item in done.explanation} == {"people_candidates"}


def test_clashing_rules_are_named(db_session: Any, make_user: Any) -> None:
    # Two workers and one supervisor can staff each shift, but not every shift of a week within 12 h.
    save_rules(db_session, RotaRules(max_hours_per_week=12, autodraft_time_limit_seconds=10), None)
    make_user("worker", level="intermediate")
    make_user("worker", level="assistant")
    make_user("supervisor", level="senior")
    editing.generate_weeks(db_session, MONDAY, 1, NOW)
    done = run(db_session)
    assert done.status == "infeasible"
    rules = {item["rule"] for item in done.explanation}
    assert "max_hours" in rules and len(done.explanation) < 10  # a small set of clashing rules
    assert any("12" in autodraft.explain(item) for item in done.explanation if item["rule"] == "max_hours")


def test_a_request_is_claimed_once(db_session: Any, team: dict) -> None:
    request = autodraft.queue_request(db_session, MONDAY, SUNDAY, None, NOW)
    assert autodraft.claim(db_session, request.id, NOW)
    assert not autodraft.claim(db_session, request.id, NOW)
    assert autodraft.run_request(db_session, request.id, NOW) is None


def test_the_scheduler_runs_requests_no_thread_took(db_session: Any, team: dict) -> None:
    editing.generate_weeks(db_session, MONDAY, 1, NOW)
    request = autodraft.queue_request(db_session, MONDAY, MONDAY, None, NOW)
    assert autodraft.run_queued(db_session, NOW) == 0  # too fresh: its thread may still claim it
    assert autodraft.run_queued(db_session, NOW + timedelta(seconds=30)) == 1
    db_session.refresh(request)
    assert request.status == "done"


def test_nothing_to_fill_is_explained(db_session: Any, team: dict) -> None:
    done = run(db_session)
    assert done.status == "nothing" and done.explanation[0]["rule"] == "no_shifts"


def test_a_published_week_has_nothing_to_draft_not_an_impossible_rota(db_session: Any, app: Any, team: dict) -> None:
    from flask_babel import force_locale

    from hotline.rota.strings import editor_strings

    editing.generate_weeks(db_session, MONDAY, 1, NOW)
    for shift in shifts_between(db_session, MONDAY, SUNDAY):
        shift.status = "published"
    db_session.commit()
    done = run(db_session)
    assert done.status == "nothing"
    with app.test_request_context(), force_locale("zh"):
        said = editor_strings()[done.status] + "".join(
            item["message"] for item in autodraft.request_dict(done)["explanation"]
        )
    assert "没有需要排班" in said and "满足" not in said
