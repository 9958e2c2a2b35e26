"""The urgency table and deadlines counted on the line's working-day calendar."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from hotline.workdays.models import HOLIDAY
from hotline.workdays.services import set_day
from hotline.workorders.deadlines import BadLimits, add_limit, due_times, limits, save_limits


def test_defaults_are_the_managers_table(db_session: Any) -> None:
    table = limits(db_session)
    assert table["urgent"] == {"sign": {"amount": 30, "unit": "minutes"}, "handle": {"amount": 24, "unit": "hours"}}
    assert table["normal"]["handle"] == {"amount": 5, "unit": "working_days"}


def test_five_working_days_skip_the_weekend(db_session: Any) -> None:
    friday = datetime(2026, 3, 13, 2, 0, tzinfo=UTC)  # Friday 10:00 in Shanghai
    due = add_limit(db_session, friday, {"amount": 5, "unit": "working_days"})
    assert due == datetime(2026, 3, 20, 2, 0, tzinfo=UTC)  # the next Friday, same time


def test_working_days_skip_a_holiday_the_manager_added(db_session: Any, make_user: Any) -> None:
    manager = make_user("manager")
    set_day(db_session, datetime(2026, 3, 16).date(), HOLIDAY, "测试假日", manager.id)
    friday = datetime(2026, 3, 13, 2, 0, tzinfo=UTC)
    assert add_limit(db_session, friday, {"amount": 1, "unit": "working_days"}) == datetime(2026, 3, 17, 2, tzinfo=UTC)


def test_national_day_week_counts_the_makeup_saturday(db_session: Any) -> None:
    # 2026: 1-7 October off (the calendar); Sunday 27 September / Saturday 10 October are make-up days.
    start = datetime(2026, 9, 30, 2, 0, tzinfo=UTC)
    assert add_limit(db_session, start, {"amount": 1, "unit": "working_days"}).date() == datetime(2026, 10, 8).date()


def test_an_edited_table_sets_the_limits(db_session: Any, make_user: Any) -> None:
    manager = make_user("manager")
    table = limits(db_session)
    table["urgent"]["sign"] = {"amount": 20, "unit": "minutes"}
    save_limits(db_session, table, actor_id=manager.id)
    start = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
    sign_due, handle_due = due_times(db_session, "urgent", start)
    assert sign_due == datetime(2026, 3, 10, 2, 20, tzinfo=UTC)
    assert handle_due == datetime(2026, 3, 11, 2, 0, tzinfo=UTC)


def test_a_wrong_cell_is_named_and_nothing_saved(db_session: Any, make_user: Any) -> None:
    manager = make_user("manager")
    table = limits(db_session)
    table["normal"]["sign"] = {"amount": "x", "unit": "minutes"}
    table["urgent"]["handle"] = {"amount": 3, "unit": "weeks"}
    with pytest.raises(BadLimits) as raised:
        save_limits(db_session, table, actor_id=manager.id)
    assert set(raised.value.problems) == {"normal.sign", "urgent.handle"}
    assert limits(db_session)["normal"]["sign"] == {"amount": 4, "unit": "hours"}
