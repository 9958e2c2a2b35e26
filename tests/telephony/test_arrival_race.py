"""Calls arriving at the same moment in a year the calendar has not seen yet are all recorded (PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.clock import hotline_zone
from hotline.extensions import db
from hotline.telephony.arrival import receive_call
from hotline.telephony.line_settings import LineSettings
from hotline.telephony.models import Call
from hotline.workdays.models import CalendarDay, CalendarYear
from tests.conftest import truncate_all

CALLERS = 8
NEW_YEAR = datetime(2031, 1, 1, 0, 0, 5, tzinfo=UTC)


@pytest.fixture
def engine(app: Flask) -> Any:
    """The real engine, with committed rows deleted afterwards."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the arrival race runs on PostgreSQL (set DATABASE_URL); SQLite has one writer")
        try:
            yield db.engine
        finally:
            truncate_all(app)


def test_first_calls_of_a_new_year_are_all_recorded_and_the_year_seeded_once(app: Flask, engine: Any) -> None:
    barrier = threading.Barrier(CALLERS)
    failures: list[BaseException] = []

    def arrive(number: int) -> None:
        with app.app_context(), Session(engine) as session:
            barrier.wait()
            try:
                receive_call(
                    session,
                    call_sid=f"CArace{number:04d}",
                    from_raw=f"+8613800{number:06d}",
                    to_raw="+862222292209",
                    now=NEW_YEAR,
                    settings=LineSettings(),
                    zone=hotline_zone(),
                )
                session.commit()
            except BaseException as exc:  # noqa: BLE001  (reported below)
                failures.append(exc)

    threads = [threading.Thread(target=arrive, args=(number,)) for number in range(CALLERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Call).where(Call.call_sid.like("CArace%"))) == CALLERS
        assert session.scalar(select(func.count()).select_from(CalendarYear).where(CalendarYear.year == 2031)) == 1
        in_2031 = CalendarDay.day.between(datetime(2031, 1, 1).date(), datetime(2031, 12, 31).date())
        assert session.scalar(select(func.count()).select_from(CalendarDay).where(in_2031)) == 365
