"""The demo district is realistic and seeding it twice adds nothing."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import func, select

from hotline.accounts.models import User
from hotline.callbacks.models import CallbackTask
from hotline.cases.models import Case, ReturnCall
from hotline.demo import DEMO_PASSWORD, HISTORY_WEEKS, seed_demo
from hotline.directory.models import Area, ExpertVolunteer, Organisation, Station, Volunteer
from hotline.escalation.models import Referral
from hotline.models import Shift
from hotline.telephony.models import Call
from tests.conftest import csrf_token

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # a Tuesday, 10:00 in Shanghai


def counts(session: Any) -> dict[str, int]:
    return {
        model.__tablename__: session.scalar(select(func.count()).select_from(model))
        for model in (Area, Station, User, ExpertVolunteer, Organisation, Shift, Call, Case, Referral, CallbackTask)
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
    organisations = db_session.scalars(select(Organisation)).all()
    assert {o.kind for o in organisations} == {"community", "social_organisation", "charity_resource", "volunteer_team"}
    volunteers = db_session.scalars(select(Volunteer)).all()
    assert len(volunteers) == 3 and all(v.areas and v.skills and v.phone for v in volunteers)
    shifts = db_session.scalars(select(Shift)).all()
    assert len(shifts) == 4 * 7 * (HISTORY_WEEKS + 4) and all(shift.status == "published" for shift in shifts)
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


def test_the_demo_has_three_months_of_history_marked_as_demo_data(db_session: Any) -> None:
    seed_demo(db_session, NOW)
    calls = db_session.scalars(select(Call).where(Call.direction == "inbound")).all()
    assert len(calls) > 1500 and all(call.call_sid.startswith("DEMO-H-") for call in calls)
    assert min(call.created_at for call in calls).replace(tzinfo=UTC) < datetime(2025, 12, 12, tzinfo=UTC)
    assert max(call.created_at for call in calls).replace(tzinfo=UTC) < NOW
    assert {call.outcome for call in calls} == {"answered", "abandoned", "voicemail", "callback-requested", "missed"}
    cases = db_session.scalars(select(Case).where(Case.reference.like("DEMO-H-%"))).all()
    assert len(cases) > 500 and all("示例" in case.summary for case in cases)
    assert {case.status for case in cases} >= {"closed", "in_progress", "referred"}
    tasks = db_session.scalars(select(CallbackTask).where(CallbackTask.source == "demo")).all()
    assert len(tasks) > 50 and all(task.status == "closed" for task in tasks)
    assert {task.outcome for task in tasks} == {"reached", "unreachable"}
    assert db_session.scalar(select(func.count()).select_from(ReturnCall)) > 20
    referrals = db_session.scalars(select(Referral)).all()
    assert {referral.target_kind for referral in referrals} == {"station", "expert"}
    assert not [r for r in referrals if r.status in ("pending", "notified")], "nothing for the scheduler to chase"


def test_the_history_is_the_same_from_the_same_seed() -> None:
    from hotline.demo_history import Crews, arrivals

    since = NOW - timedelta(days=91)
    first, again = arrivals(random.Random(7), since, NOW), arrivals(random.Random(7), since, NOW)
    assert first == again and len(first) > 1500
    assert Crews().at(NOW) == []


def test_after_seeding_reports_monthly_report_and_staffing_show_figures(
    app: Any, db_session: Any, make_user: Any
) -> None:
    from tests.conftest import log_in

    seed_demo(db_session, NOW)
    with time_machine.travel(NOW, tick=False):
        manager = log_in(app.test_client(), db_session.scalar(select(User).where(User.username == "manager")))
        monthly = manager.get("/reports/monthly").get_data(as_text=True)  # last month: 2026-02
        summary = manager.get("/api/v1/reports/summary?from=2026-02-01&to=2026-02-28").get_json()
        board = manager.get("/api/v1/rota/board?anchor=2026-03-10").get_json()
        supervisor = log_in(app.test_client(), db_session.scalar(select(User).where(User.username == "supervisor1")))
        pages = {view: supervisor.get(f"/reports/{view}") for view in ("day", "hour", "service", "worker", "station")}
    assert "2026-02-28" in monthly and "<svg" in monthly and "排班公平性" in monthly
    for name in ("calls_offered", "calls_answered", "calls_abandoned", "voicemails", "callbacks_requested"):
        assert summary[name] > 0, name
    for name in ("referrals_created", "referrals_acknowledged_within_deadline"):
        assert summary[name] > 0, name
    assert 0.5 < summary["service_level"] < 1 and 0.7 < summary["answer_rate"] < 1
    assert 0 < summary["first_contact_resolution_rate"] < 1 and 3 < summary["satisfaction_avg"] < 5
    staffing = [row for row in board["staffing"].values() if row["history"]]
    assert staffing and all(row["needed"] >= 1 for row in staffing)
    assert max(row["calls_per_hour"] for row in staffing) > 1
    for view, response in pages.items():
        page = response.get_data(as_text=True)
        assert response.status_code == 200 and "<svg" in page, view
        assert "Nothing in this range" not in page and "该时间段内没有数据" not in page, view
    callbacks = pages["day"].get_data(as_text=True).split('id="callback-figures"')[1].split("</ul>")[0]
    assert '"requested">0<' not in callbacks and '"reached">0<' not in callbacks
