"""A cold transfer to an expert on duty, on the simulated line end to end over HTTP: the caller is put
through to the expert's phone from the hotline's number and the worker leaves at once; an expert who
does not answer sends the caller back to the front of the queue."""

from __future__ import annotations

from typing import Any

import time_machine
from flask import Flask
from sqlalchemy import select

from hotline.extensions import db
from hotline.gateway.interpreter import CallerScript
from hotline.routing.models import CallTransfer
from tests.console.test_transfer_line import (
    EXPERT_PHONE,
    NOON,
    app_call,
    staff_session,
    worker_and_expert_on_duty,
)
from tests.support.simulator import simulated_line, simulator_page
from tests.support.waiting import until


def transfer_status(app: Flask, call_id: int) -> str | None:
    """Return the status of the call's newest transfer, fresh."""
    with app.app_context():
        status = db.session.scalar(
            select(CallTransfer.status).where(CallTransfer.call_id == call_id).order_by(CallTransfer.id.desc())
        )
        db.session.remove()
    return status


def answered_call(app: Flask, base: str) -> tuple[Any, str, str, int, Any, int]:
    """Dial in from the simulator, wait in the queue and let the worker accept; return what the test needs."""
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
    return caller, sid, state_url, app_call(app, sid).id, staff, expert_id


def hand_to_expert(base: str, staff: Any, call_id: int, expert_id: int) -> None:
    response = staff.post(
        f"{base}/console/calls/{call_id}/transfer",
        data={"kind": "cold_expert", "expert_id": expert_id, "csrf_token": staff.csrf},
        timeout=10,
    )
    assert response.status_code == 200 and "正在为来电人接通专家" in response.text


def test_a_cold_transfer_puts_the_caller_through_to_the_experts_phone(app: Flask, live_server: Any) -> None:
    base = live_server.url
    with time_machine.travel(NOON, tick=True), simulated_line(app, base) as gateway:
        caller, sid, state_url, call_id, staff, expert_id = answered_call(app, base)
        network = gateway.network
        network.callees[EXPERT_PHONE] = CallerScript(ring_seconds=1, talk_seconds=3)
        hand_to_expert(base, staff, call_id, expert_id)

        # The expert answers, talks with the caller, and hangs up: the transfer is done.
        until(lambda: transfer_status(app, call_id) == "completed", timeout=60)
        with network.lock:
            (expert_leg,) = [call for call in network.calls.values() if call.to == EXPERT_PHONE]
        assert expert_leg.from_ == app.config["TWILIO_NUMBER"]  # the expert sees the hotline, not the caller
        assert expert_leg.parent_sid == sid
        until(lambda: not caller.get(state_url, timeout=10).json()["live"])
        kinds = [event.kind for event in app_call(app, sid).events]
        assert "transfer.cold_expert" in kinds and "transfer.expert_talked" in kinds
        assert not [event for event in network.errors if event.kind == "application-error"]


def test_an_expert_who_does_not_answer_sends_the_caller_back_to_the_queue(app: Flask, live_server: Any) -> None:
    base = live_server.url
    with time_machine.travel(NOON, tick=True), simulated_line(app, base) as gateway:
        caller, sid, state_url, call_id, staff, expert_id = answered_call(app, base)
        gateway.network.callees[EXPERT_PHONE] = CallerScript(answer="no-answer", ring_seconds=2)
        hand_to_expert(base, staff, call_id, expert_id)

        until(lambda: transfer_status(app, call_id) == "failed", timeout=60)
        until(lambda: caller.get(state_url, timeout=10).json()["in_queue"])
        assert "transfer.expert_missed" in [event.kind for event in app_call(app, sid).events]
        assert not [event for event in gateway.network.errors if event.kind == "application-error"]
