"""The weekly pattern and per-date changes, over HTTP."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

import pytest
import time_machine

from hotline.rota import editing
from hotline.rota.models import Shift
from tests.conftest import csrf_token, log_in


@pytest.fixture(autouse=True)
def frozen() -> Any:
    with time_machine.travel(datetime(2026, 3, 1, 2, 0, tzinfo=UTC), tick=False):
        yield


def test_a_manager_adds_a_night_shift_to_the_pattern(client: Any, make_user: Any, db_session: Any) -> None:
    log_in(client, make_user("manager"))
    page = client.get("/rota/pattern").get_data(as_text=True)
    assert "上午班" in page and "下午班" in page
    token = csrf_token(client, "/rota/pattern")
    bad = client.post(
        "/rota/pattern/slots",
        data={
            "label": "夜班",
            "start_time": "22:00",
            "end_time": "06:00",
            "day_kinds": ["working"],
            "min_duty_workers": "1",
            "min_qualified": "2",
            "min_supervisors": "0",
            "csrf_token": token,
        },
    )
    assert bad.status_code == 422
    good = client.post(
        "/rota/pattern/slots",
        data={
            "label": "夜班",
            "start_time": "22:00",
            "end_time": "06:00",
            "day_kinds": ["working"],
            "min_duty_workers": "1",
            "min_qualified": "1",
            "min_supervisors": "0",
            "csrf_token": token,
        },
    )
    assert good.status_code == 302
    made = editing.generate_weeks(db_session, date(2026, 3, 9), 1, datetime(2026, 3, 1, tzinfo=UTC))
    nights = [s for s in made if s.label == "夜班"]
    assert len(nights) == 5  # Monday to Friday are working days
    assert nights[0].hours == 8 and nights[0].min_supervisors == 0
    slot_id = editing.default_pattern(db_session).slots[-1].id
    assert client.post(f"/rota/pattern/slots/{slot_id}/delete", data={"csrf_token": token}).status_code == 302


def test_a_one_off_shift_and_its_minimums(client: Any, make_user: Any, db_session: Any) -> None:
    log_in(client, make_user("manager"))
    token = csrf_token(client, "/rota/pattern")
    added = client.post(
        "/rota/shifts",
        data={
            "day": "2026-03-12",
            "label": "加班",
            "start_time": "17:00",
            "end_time": "20:00",
            "min_duty_workers": "1",
            "min_qualified": "1",
            "min_supervisors": "0",
            "csrf_token": token,
        },
    )
    assert added.status_code == 302
    shift = db_session.query(Shift).filter_by(label="加班").one()
    headers = {"X-CSRFToken": token}
    assert (
        client.patch(
            f"/api/v1/rota/shifts/{shift.id}",
            json={"min_duty_workers": 3, "min_qualified": 2, "min_supervisors": 1},
            headers=headers,
        ).status_code
        == 200
    )
    assert shift.min_duty_workers == 3
    assert (
        client.patch(
            f"/api/v1/rota/shifts/{shift.id}",
            json={"min_duty_workers": 1, "min_qualified": 2, "min_supervisors": 1},
            headers=headers,
        ).status_code
        == 409
    )
    assert client.delete(f"/api/v1/rota/shifts/{shift.id}", headers=headers).status_code == 204
    past = client.post(
        "/rota/shifts",
        data={
            "day": "2026-02-01",
            "label": "过去",
            "start_time": "09:00",
            "end_time": "13:00",
            "min_duty_workers": "1",
            "min_qualified": "1",
            "min_supervisors": "0",
            "csrf_token": token,
        },
    )
    assert past.status_code == 422


def test_minimums_that_do_not_add_up_are_refused_in_the_users_language(
    client: Any, make_user: Any, db_session: Any
) -> None:
    log_in(client, make_user("manager"))
    token = csrf_token(client, "/rota")
    shift = editing.create_shift(db_session, date(2026, 3, 12), time(9), time(13), "上午班", datetime.now(UTC))
    headers = {"X-CSRFToken": token}
    refused = client.patch(
        f"/api/v1/rota/shifts/{shift.id}",
        json={"min_duty_workers": 1, "min_qualified": 2, "min_supervisors": 1},
        headers=headers,
    )
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "invalid_minimums"
    assert "不能" in refused.get_json()["error"]["message"]
    not_a_number = client.patch(
        f"/api/v1/rota/shifts/{shift.id}",
        json={"min_duty_workers": "two", "min_qualified": 1, "min_supervisors": 1},
        headers=headers,
    )
    assert not_a_number.status_code == 400 and "min_duty_workers" in not_a_number.get_json()["error"]["fields"]
    assert "不符合" in not_a_number.get_json()["error"]["message"]
    db_session.refresh(shift)
    assert (shift.min_duty_workers, shift.min_qualified, shift.min_supervisors) == (2, 1, 1)


def test_workers_may_not_change_minimums(client: Any, make_user: Any, db_session: Any) -> None:
    shift = editing.create_shift(db_session, date(2026, 3, 12), time(9), time(13), "上午班", datetime.now(UTC))
    log_in(client, make_user("worker"))
    own_page = client.get("/rota/mine")
    assert own_page.status_code == 200 and "minimums-form" not in own_page.get_data(as_text=True)
    token = csrf_token(client, "/rota/mine")
    assert client.get("/rota").status_code == 403
    changed = client.patch(
        f"/api/v1/rota/shifts/{shift.id}",
        json={"min_duty_workers": 0, "min_qualified": 0, "min_supervisors": 0},
        headers={"X-CSRFToken": token},
    )
    assert changed.status_code == 403
    db_session.refresh(shift)
    assert shift.min_duty_workers == 2
