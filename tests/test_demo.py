"""The demo district is realistic and seeding it twice adds nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import func, select

from hotline.accounts.models import User
from hotline.demo import DEMO_PASSWORD, seed_demo
from hotline.directory.models import Area, ExpertVolunteer, Organisation, Station
from hotline.models import Shift
from tests.conftest import csrf_token

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # a Tuesday, 10:00 in Shanghai


def counts(session: Any) -> dict[str, int]:
    return {
        model.__tablename__: session.scalar(select(func.count()).select_from(model))
        for model in (Area, Station, User, ExpertVolunteer, Organisation, Shift)
    }


def test_demo_district_has_what_the_design_describes(db_session: Any) -> None:
    seed_demo(db_session, NOW)
    district = db_session.scalar(select(Area).where(Area.code == "120115"))
    assert district.name == "宝坻区"
    stations = db_session.scalars(select(Station)).all()
    assert sum(station.tier == "district_centre" for station in stations) == 1
    assert sum(station.tier == "station" for station in stations) == 16
    assert sum(station.tier == "room" for station in stations) >= 4
    communities = db_session.scalars(select(Area).where(Area.level == "community")).all()
    assert communities and all(area.invented and "示例" in area.name for area in communities)
    workers = db_session.scalars(select(User).where(User.role == "worker")).all()
    assert len(workers) == 16
    today = date(2026, 3, 10)
    expired = [w for w in workers if w.valid_certification(today) is None]
    expiring = [w for w in workers if (c := w.valid_certification(today)) and (c.valid_until - today).days <= 30]
    assert len(expired) == 1 and len(expiring) == 2
    assert db_session.scalar(select(func.count()).select_from(User).where(User.role == "supervisor")) == 2
    assert db_session.scalar(select(func.count()).select_from(ExpertVolunteer)) == 6
    assert db_session.scalar(select(func.count()).select_from(Organisation)) == 4
    shifts = db_session.scalars(select(Shift)).all()
    assert len(shifts) == 4 * 28 and all(shift.status == "published" for shift in shifts)
    for shift in shifts:
        duty = [a for a in shift.assignments if a.duty == "duty_worker"]
        assert len(duty) >= 2
        assert all(a.user.valid_certification(shift.starts_at.date()) for a in duty)
        assert any(a.user.valid_certification(shift.starts_at.date()).level != "assistant" for a in duty)
        assert sum(a.duty == "supervisor" for a in shift.assignments) == 1


def test_seeding_twice_duplicates_nothing(db_session: Any) -> None:
    seed_demo(db_session, NOW)
    first = counts(db_session)
    seed_demo(db_session, NOW)
    assert counts(db_session) == first


def test_every_demo_account_logs_in_and_lands_on_its_page(app: Any, db_session: Any) -> None:
    accounts = seed_demo(db_session, NOW)
    assert {role for _, role in accounts} == {"worker", "supervisor", "manager", "admin", "station"}
    for username, _role in accounts[::4] + accounts[-4:]:
        client = app.test_client()
        token = csrf_token(client)
        response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD, "csrf_token": token})
        assert response.status_code == 302, username
        assert client.get("/", follow_redirects=True).status_code == 200, username  # a station's: its orders


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 3, 10, 19, 0, tzinfo=UTC),  # Wednesday 03:00 in Shanghai
        datetime(2026, 3, 10, 5, 0, tzinfo=UTC),  # Tuesday 13:00
        datetime(2026, 3, 15, 3, 0, tzinfo=UTC),  # Sunday 11:00
    ],
)
def test_the_readme_walk_finds_the_line_open_and_someone_on_duty_at_any_hour(
    client: Any, db_session: Any, moment: datetime
) -> None:
    from hotline.rota.services import on_duty_worker_ids
    from hotline.telephony.hours import ServiceCalendar
    from hotline.telephony.line_settings import load_line_settings

    seed_demo(db_session, NOW)
    zone = ZoneInfo("Asia/Shanghai")
    assert ServiceCalendar(load_line_settings(db_session), zone, db_session).status(moment).open
    on_duty = on_duty_worker_ids(db_session, moment)
    assert on_duty
    worker01 = db_session.scalar(select(User).where(User.username == "worker01"))
    with time_machine.travel(moment, tick=False):
        client.post(
            "/login",
            data={"username": "worker01", "password": DEMO_PASSWORD, "csrf_token": csrf_token(client)},
        )
        page = client.get("/console").get_data(as_text=True)
    if worker01.id in on_duty:
        assert 'id="not-on-duty"' not in page
    else:
        # The console names who is on duty, by log-in name, so the newcomer can log in as one of them.
        notice = page.split('id="not-on-duty"')[1].split("</p>")[0]
        names = {db_session.get(User, user_id).username for user_id in on_duty}
        assert names and all(name in notice for name in names)
