"""Report figures against values computed by hand on the known calls (tests/reports/conftest.py).

Offered on 1-2 March: K1 K2 K3 K4 K7 K8 K9 K11 = 8 (K5, K6 came out of hours; OUT1, OUT2 are outside).
Answered: K1 (10 s wait, 300 s talk), K2 (30 s, 1200 s), K7 (5 s, 720 s, across midnight), K11 (3 s, 30 s).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from hotline.reports.escalation import escalation_breakdown
from hotline.reports.figures import FIELDS
from hotline.reports.services import RangeInvalid, breakdown, summary

MARCH_1, MARCH_2 = date(2026, 3, 1), date(2026, 3, 2)

EXPECTED_TOTALS = {
    "calls_offered": 8,
    "calls_answered": 4,
    "calls_abandoned": 1,
    "answer_rate": 0.5,
    "avg_speed_of_answer_s": 12.0,
    "avg_handle_time_s": 562.5,
    "service_level": 0.375,
    "voicemails": 1,
    "callbacks_requested": 1,
    "referrals_created": 2,
    "referrals_acknowledged_within_deadline": 1,
    "first_contact_resolution_rate": 0.5,
    "satisfaction_avg": 4.0,
}


def test_summary_totals_match_the_hand_computed_figures(app: Any, db_session: Any, known_calls: Any) -> None:
    result = summary(db_session, MARCH_1, MARCH_2)
    assert {name: result[name] for name in FIELDS} == EXPECTED_TOTALS
    assert result["service_level_target_s"] == 20


def test_a_call_spanning_midnight_counts_on_the_day_it_began(app: Any, db_session: Any, known_calls: Any) -> None:
    days = {row["day"]: row for row in summary(db_session, MARCH_1, MARCH_2)["by_day"]}
    assert {name: days["2026-03-01"][name] for name in FIELDS} == {
        "calls_offered": 5,
        "calls_answered": 3,
        "calls_abandoned": 1,
        "answer_rate": 0.6,
        "avg_speed_of_answer_s": 15.0,
        "avg_handle_time_s": 740.0,
        "service_level": 0.4,
        "voicemails": 1,
        "callbacks_requested": 1,
        "referrals_created": 1,
        "referrals_acknowledged_within_deadline": 1,
        "first_contact_resolution_rate": 0.5,
        "satisfaction_avg": 4.0,
    }
    # 2 March: K8 (missed, no answer time), K9 (still waiting, no answer or end time), K11 (silent, answered).
    assert {name: days["2026-03-02"][name] for name in FIELDS} == {
        "calls_offered": 3,
        "calls_answered": 1,
        "calls_abandoned": 0,
        "answer_rate": 0.3333,
        "avg_speed_of_answer_s": 3.0,
        "avg_handle_time_s": 30.0,
        "service_level": 0.3333,
        "voicemails": 0,
        "callbacks_requested": 0,
        "referrals_created": 1,
        "referrals_acknowledged_within_deadline": 0,
        "first_contact_resolution_rate": None,
        "satisfaction_avg": None,
    }


def test_one_day_ranges_follow_local_midnight(app: Any, db_session: Any, known_calls: Any) -> None:
    second = summary(db_session, MARCH_2, MARCH_2)
    assert second["calls_offered"] == 3 and second["calls_answered"] == 1
    assert summary(db_session, date(2026, 2, 28), date(2026, 2, 28))["calls_answered"] == 1  # OUT1, 23:59 local


def test_by_service_and_by_area_partition_the_totals(app: Any, db_session: Any, known_calls: Any) -> None:
    result = summary(db_session, MARCH_1, MARCH_2)
    services = {row["service"]: row for row in result["by_service"]}
    assert services["crisis"]["calls_answered"] == 1 and services["crisis"]["service_level"] == 0.0
    assert services["crisis"]["referrals_created"] == 1 and services["emotional"]["referrals_created"] == 1
    assert services["info"]["calls_abandoned"] == 1 and services["needs"]["voicemails"] == 1
    assert services[None]["callbacks_requested"] == 1 and services[None]["calls_offered"] == 2
    areas = {row["area_id"]: row for row in result["by_area"]}
    # The community's call counts under its street.
    assert (
        areas[known_calls["street_a"]]["calls_answered"] == 1
        and areas[known_calls["street_a"]]["satisfaction_avg"] == 5.0
    )
    assert areas[known_calls["street_b"]]["first_contact_resolution_rate"] == 0.0
    assert areas[None]["calls_offered"] == 6
    for key in ("by_service", "by_area"):
        assert sum(row["calls_offered"] for row in result[key]) == 8
        assert sum(row["referrals_created"] for row in result[key]) == 2


def test_an_empty_range_has_zero_counts_and_no_rates(app: Any, db_session: Any, known_calls: Any) -> None:
    result = summary(db_session, date(2026, 4, 1), date(2026, 4, 3))
    assert result["calls_offered"] == 0 and result["referrals_created"] == 0
    assert (
        result["answer_rate"] is None and result["avg_speed_of_answer_s"] is None and result["satisfaction_avg"] is None
    )
    assert [row["day"] for row in result["by_day"]] == ["2026-04-01", "2026-04-02", "2026-04-03"]
    assert all(row["calls_offered"] == 0 for row in result["by_day"] + result["by_service"])
    assert result["by_area"] == []


def test_hour_week_worker_and_target_group_views(app: Any, db_session: Any, known_calls: Any) -> None:
    hours = {row.key: row.figures for row in breakdown(db_session, MARCH_1, MARCH_2, "hour")}
    assert len(hours) == 24 and hours[10]["calls_answered"] == 1 and hours[23]["calls_answered"] == 1
    assert hours[11]["referrals_created"] == 1  # 03:25 UTC is 11:25 local
    weeks = breakdown(db_session, MARCH_1, MARCH_2, "week")
    assert [(row.key, row.figures["calls_offered"]) for row in weeks] == [("2026-W09", 5), ("2026-W10", 3)]
    groups = {row.key: row.figures for row in breakdown(db_session, MARCH_1, MARCH_2, "target_group")}
    assert groups["elderly_alone"]["calls_answered"] == 1 and groups["dibao"]["calls_answered"] == 1
    assert groups["children_in_difficulty"]["referrals_created"] == 1
    workers = breakdown(db_session, MARCH_1, MARCH_2, "worker")
    assert sum(row.figures["calls_offered"] for row in workers) == 8


def test_escalation_figures_by_station_and_expert(app: Any, db_session: Any, known_calls: Any) -> None:
    now = datetime(2026, 3, 3, tzinfo=UTC)
    [station] = escalation_breakdown(db_session, MARCH_1, MARCH_2, "station", now)
    assert station.label == "海滨街道社工站"
    assert (
        station.figures["acknowledged_within_deadline"] == 1
        and station.figures["median_minutes_to_acknowledge"] == 10.0
    )
    [expert] = escalation_breakdown(db_session, MARCH_1, MARCH_2, "expert", now)
    assert expert.figures["acknowledged_late"] == 1 and expert.figures["median_minutes_to_acknowledge"] == 30.0


def test_a_backwards_or_too_long_range_is_refused(app: Any, db_session: Any) -> None:
    with pytest.raises(RangeInvalid):
        summary(db_session, MARCH_2, MARCH_1)
    with pytest.raises(RangeInvalid):
        summary(db_session, date(2025, 1, 1), date(2026, 3, 1))
