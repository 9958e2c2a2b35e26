"""Erlang C staffing: the formula, and suggestions from the call records of the last weeks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from hotline.rota.rules import RotaRules
from hotline.rota.staffing import agents_needed, erlang_c, service_level, suggest_for_shifts
from hotline.telephony.models import Call
from tests.rota.conftest import local


def test_erlang_c_known_values() -> None:
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    assert erlang_c(1, 0.5) == pytest.approx(0.5)  # one server: P(wait) = utilisation
    assert erlang_c(3, 3.0) == 1.0 and erlang_c(3, 0) == 0.0


def test_the_textbook_case_needs_fourteen_agents() -> None:
    # 100 calls in 30 minutes, 180 s handle time: 10 Erlangs. 13 agents answer 79.6 % within 20 s,
    # 14 agents 88.8 % (the usual worked example), so 80/20 needs 14.
    assert agents_needed(200, 180, 0.8, 20) == 14
    assert service_level(13, 10.0, 180, 20) == pytest.approx(0.7956, abs=1e-4)
    assert service_level(14, 10.0, 180, 20) == pytest.approx(0.8884, abs=1e-4)
    assert agents_needed(0, 180) == 0
    assert agents_needed(6, 300) == 2  # half an Erlang: one worker alone leaves half the callers waiting


def test_more_agents_never_lower_the_service_level() -> None:
    levels = [service_level(n, 4.0, 240, 20) for n in range(5, 12)]
    assert levels == sorted(levels)


def test_suggestions_come_from_the_same_weekday_and_hours(db_session: Any, make_shift: Any) -> None:
    day = date(2026, 3, 10)  # Tuesday
    shift = make_shift(day, 9, 13)
    afternoon = make_shift(day, 13, 17)
    number = 0
    for weeks_back in range(1, 5):
        past = day - timedelta(weeks=weeks_back)
        for minute in range(0, 240, 4):  # 60 calls a morning, 15 an hour
            number += 1
            start = local(past, 9) + timedelta(minutes=minute)
            db_session.add(
                Call(
                    call_sid=f"CA{number:032d}",
                    created_at=start,
                    answered_at=start + timedelta(seconds=10),
                    ended_at=start + timedelta(seconds=370),
                )
            )
    db_session.commit()
    advice = suggest_for_shifts(db_session, [shift, afternoon], datetime(2026, 3, 9, tzinfo=UTC), RotaRules())
    assert advice[shift.id]["calls_per_hour"] == 15.0 and advice[shift.id]["handle_seconds"] == 360
    assert advice[shift.id]["needed"] == agents_needed(15, 360)
    assert advice[afternoon.id] == {"history": True, "calls_per_hour": 0.0, "handle_seconds": 360, "needed": 0}


def test_without_any_call_history_there_is_no_suggestion(db_session: Any, make_shift: Any) -> None:
    shift = make_shift(date(2026, 3, 16), 9, 13)
    advice = suggest_for_shifts(db_session, [shift], datetime(2026, 3, 9, tzinfo=UTC), RotaRules())
    assert advice[shift.id] == {"history": False, "calls_per_hour": None, "needed": None}
