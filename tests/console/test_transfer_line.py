"""A warm transfer on the simulated line, end to end over HTTP: the caller, the worker and the expert's
phone meet in a conference on the gateway, the worker leaves from the console, the expert hangs up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import requests
import time_machine
from flask import Flask
from sqlalchemy import select

from hotline.accounts.models import User
from hotline.accounts.services import hash_password
from hotline.directory.models import ExpertVolunteer
from hotline.extensions import db
from hotline.rota.models import Shift, ShiftAssignment
from hotline.telephony.models import Call, CallEvent
from tests.conftest import TEST_PASSWORD
from tests.support.simulator import simulated_line, simulator_page
from tests.support.waiting import until

NOON = datetime(2025, 3, 10, 4, 0, tzinfo=UTC)  # Monday 12:00 in Shanghai
EXPERT_PHONE = "+8613700000001"


def staff_session(base_url: str, username: str) -> requests.Session:
    """Log in like a browser; the session carries the CSRF token."""
    staff = requests.Session()
    login = staff.get(f"{base_url}/login", timeout=10).text
    token = login.split('name="csrf-token" content="')[1].split('"')[0]
    staff.post(
        f"{base_url}/login", data={"username": username, "password": TEST_PASSWORD, "csrf_token": token}, timeout=10
    )
    staff.headers["X-CSRFToken"] = token
    staff.csrf = token  # type: ignore[attr-defined]
    return staff


def worker_and_expert_on_duty(app: Flask) -> tuple[int, int]:
    """Create a worker and an expert on expert duty now, in the live server's database."""
    with app.app_context():
        worker = User(username="warm-worker", display_name="王芳", password_hash=hash_password(TEST_PASSWORD))
        worker.role = "worker"
        expert = ExpertVolunteer(name="张律师", profession="律师", phone=EXPERT_PHONE, skills=["legal"])
        db.session.add_all([worker, expert])
        db.session.flush()
        shift = Shift(
            label="expert", starts_at=NOON - timedelta(hours=1), ends_at=NOON + timedelta(hours=3), status="published"
        )
        shift.assignments.append(ShiftAssignment(duty="expert", expert_id=expert.id, skill="legal"))
        db.session.add(shift)
        db.session.commit()
        ids = worker.id, expert.id
        db.session.remove()
    return ids


def app_call(app: Flask, call_sid: str) -> Call:
    """Read the app's record of the call, fresh."""
    with app.app_context():
        db.session.expire_all()
        call = db.session.scalar(select(Call).where(Call.call_sid == call_sid))
        assert call is not None
        _ = list(call.events)
        db.session.remove()
        return call


def phone(base_url: str, to: str) -> dict[str, Any] | None:
    """Return the newest phone the app called at `to`, as the simulator page shows it."""
    phones = requests.get(f"{base_url}/simulator/messages", timeout=10).json()["phones"]
    return next((item for item in phones if item["to"] == to), None)


def test_a_warm_transfer_meets_in_the_conference_the_worker_leaves_and_the_expert_hangs_up(
    app: Flask, live_server: Any
) -> None:
    base = live_server.url
    with time_machine.travel(NOON, tick=True), simulated_line(app, base) as gateway:
        worker_id, expert_id = worker_and_expert_on_duty(app)
        caller = simulator_page(base)
        sid = caller.post(f"{base}/simulator/calls", data={"from": "+8613812345678"}, timeout=10).json()["call_sid"]
        state_url = f"{base}/simulator/calls/{sid}"
        until(lambda: caller.get(state_url, timeout=10).json()["waiting_for_keys"])
        caller.post(f"{state_url}/press", data={"digits": "1"}, timeout=10)
        until(lambda: caller.get(state_url, timeout=10).json()["in_queue"])
        staff = staff_session(base, "warm-worker")
        assert staff.post(f"{base}/simulator/worker/accept/{sid}", timeout=10).status_code == 200
        until(lambda: app_call(app, sid).worker_id == worker_id)
        call_id = app_call(app, sid).id

        warm = staff.post(
            f"{base}/console/calls/{call_id}/transfer",
            data={"kind": "warm", "expert_id": expert_id, "csrf_token": staff.csrf},  # type: ignore[attr-defined]
            timeout=10,
        )
        assert warm.status_code == 200, warm.text[:500]
        # The expert's phone rings on the simulator page, answers, and joins the caller and the worker.
        expert = until(lambda: (p := phone(base, EXPERT_PHONE)) and p["in_conference"] and p)
        worker_leg = until(lambda: (p := phone(base, f"client:worker_{worker_id}")) and p["in_conference"] and p)
        assert until(lambda: caller.get(state_url, timeout=10).json()["in_conference"])
        room = gateway.network.conferences.of_call(sid)
        assert set(room.participants) == {sid, expert["call_sid"], worker_leg["call_sid"]}

        left = staff.post(
            f"{base}/console/calls/{call_id}/transfer",
            data={"kind": "leave", "csrf_token": staff.csrf},  # type: ignore[attr-defined]
            timeout=10,
        )
        assert left.status_code == 200, left.text[:500]
        until(lambda: not phone(base, f"client:worker_{worker_id}")["live"])
        assert set(room.participants) == {sid, expert["call_sid"]} and room.is_live

        # The expert hangs up with the simulator page's button; the caller is still on the line.
        hung = caller.post(f"{base}/simulator/calls/{expert['call_sid']}/hangup", timeout=10)
        assert hung.status_code == 200
        until(lambda: not phone(base, EXPERT_PHONE)["live"])
        assert caller.get(state_url, timeout=10).json()["live"]
        caller.post(f"{state_url}/hangup", timeout=10)
        until(lambda: not caller.get(state_url, timeout=10).json()["live"])

        kinds = [event.kind for event in app_call(app, sid).events]
        assert "transfer.warm" in kinds and "transfer.worker_left" in kinds
        assert gateway.rest.requests_to("POST", r"/Calls\.json")  # the legs were placed over REST
        assert not [event for event in gateway.network.errors if event.kind == "application-error"]
    with app.app_context():
        kinds = db.session.scalars(select(CallEvent.kind).where(CallEvent.call_id == call_id)).all()
        db.session.remove()
    assert "transfer.worker_left" in kinds
