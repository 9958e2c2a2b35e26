"""Rota fairness: hours per person over a period, from duties in force, clipped to the period."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import time_machine

from hotline.clock import hotline_zone
from hotline.rota.fairness import hours_per_person
from hotline.rota.models import Shift, ShiftAssignment

PINNED = datetime(2026, 4, 2, 2, 0, tzinfo=UTC)  # 10:00 on Thursday 2 April 2026 in Shanghai


def shift(db_session: Any, starts: datetime, ends: datetime, *people: Any) -> None:
    row = Shift(label="班", starts_at=starts, ends_at=ends, status="published")
    db_session.add(row)
    db_session.flush()
    for person in people:
        db_session.add(ShiftAssignment(shift_id=row.id, user_id=person.id, duty="duty_worker"))
    db_session.flush()


def test_hours_per_person_for_march_are_clipped_to_the_month(db_session: Any, make_user: Any, client: Any) -> None:
    with time_machine.travel(PINNED, tick=False):
        ann, bob = make_user(display_name="安"), make_user(display_name="柏")
        # Local 09:00-17:00 on Saturday 7 March (01:00-09:00 UTC): both, 8 hours each.
        shift(db_session, datetime(2026, 3, 7, 1, tzinfo=UTC), datetime(2026, 3, 7, 9, tzinfo=UTC), ann, bob)
        # Local 20:00 on 31 March to 08:00 on 1 April: 4 hours in March, for Ann.
        shift(db_session, datetime(2026, 3, 31, 12, tzinfo=UTC), datetime(2026, 4, 1, 0, tzinfo=UTC), ann)
        # February and April do not count.
        shift(db_session, datetime(2026, 2, 27, 1, tzinfo=UTC), datetime(2026, 2, 27, 9, tzinfo=UTC), bob)
        shift(db_session, datetime(2026, 4, 1, 1, tzinfo=UTC), datetime(2026, 4, 1, 9, tzinfo=UTC), bob)

        shares = hours_per_person(db_session, date(2026, 3, 1), date(2026, 3, 31), hotline_zone())

        assert [(s.name, s.shifts, s.hours, s.weekend_shifts, s.difference) for s in shares] == [
            ("安", 2, 12.0, 1, 2.0),
            ("柏", 1, 8.0, 1, -2.0),
        ]
        # The monthly report shows them for last month by default (the clock says April).
        manager = make_user(role="manager")
        from tests.conftest import log_in

        page = log_in(client, manager).get("/reports/monthly").get_data(as_text=True)
        assert "排班公平性" in page and "2026-03" in page and '<td class="num">+2</td>' in page
