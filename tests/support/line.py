"""A call on the simulated line for the end-to-end line tests: a worker and an expert on duty at noon, a
caller dialled in, waiting in the queue and answered by the worker from the simulator's worker page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from flask import Flask
from sqlalchemy import select

from hotline.accounts.models import User
from hotline.accounts.services import hash_password
from hotline.directory.models import ExpertVolunteer
from hotline.extensions import db
from hotline.gateway import Gateway
from hotline.rota.models import Shift, ShiftAssignment
from hotline.telephony.models import Call
from tests.conftest import TEST_PASSWORD
from tests.support.simulator import simulator_page
from tests.support.waiting import until

NOON = datetime(2025, 3, 10, 4, 0, tzinfo=UTC)  # Monday 12:00 in Shanghai
EXPERT_PHONE = "+8613700000001"
CALLER_PHONE = "+8613812345678"


@dataclass
class LineCall:
    """An answered call on the simulated line and who is on duty for it."""

    gateway: Gateway
    caller: requests.Session
    """The simulator page of the caller."""
    sid: str
    state_url: str
    """The simulator's state of the caller's call."""
    call_id: int
    staff: requests.Session
    """The worker, logged in (carries the CSRF token)."""
    worker_id: int
    expert_id: int


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


def answer_on_the_line(app: Flask, base_url: str, gateway: Gateway) -> LineCall:
    """Put a worker and an expert on duty, dial in, choose 1, wait in the queue and let the worker accept."""
    worker_id, expert_id = worker_and_expert_on_duty(app)
    caller = simulator_page(base_url)
    sid = caller.post(f"{base_url}/simulator/calls", data={"from": CALLER_PHONE}, timeout=10).json()["call_sid"]
    state_url = f"{base_url}/simulator/calls/{sid}"
    until(lambda: caller.get(state_url, timeout=10).json()["waiting_for_keys"])
    caller.post(f"{state_url}/press", data={"digits": "1"}, timeout=10)
    until(lambda: caller.get(state_url, timeout=10).json()["in_queue"])
    staff = staff_session(base_url, "warm-worker")
    assert staff.post(f"{base_url}/simulator/worker/accept/{sid}", timeout=10).status_code == 200
    until(lambda: app_call(app, sid).worker_id == worker_id)
    return LineCall(gateway, caller, sid, state_url, app_call(app, sid).id, staff, worker_id, expert_id)
