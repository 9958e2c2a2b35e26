"""A cold transfer to an expert on duty, on the simulated line end to end over HTTP: the caller is put
through to the expert's phone from the hotline's number and the worker leaves at once; an expert who
does not answer sends the caller back to the front of the queue."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select

from hotline.extensions import db
from hotline.gateway.interpreter import CallerScript
from hotline.routing.models import CallTransfer
from tests.support.line import EXPERT_PHONE, LineCall, app_call
from tests.support.waiting import until


def transfer_status(app: Flask, call_id: int) -> str | None:
    """Return the status of the call's newest transfer, fresh."""
    with app.app_context():
        status = db.session.scalar(
            select(CallTransfer.status).where(CallTransfer.call_id == call_id).order_by(CallTransfer.id.desc())
        )
        db.session.remove()
    return status


def hand_to_expert(base: str, line: LineCall) -> None:
    """Ask for the cold transfer to the expert from the call page, as the worker."""
    staff = line.staff
    response = staff.post(
        f"{base}/console/calls/{line.call_id}/transfer",
        data={"kind": "cold_expert", "expert_id": line.expert_id, "csrf_token": staff.csrf},
        timeout=10,
    )
    assert response.status_code == 200 and "正在为来电人接通专家" in response.text


def test_a_cold_transfer_puts_the_caller_through_to_the_experts_phone(
    app: Flask, live_server: Any, answered_line_call: LineCall
) -> None:
    base, line = live_server.url, answered_line_call
    network = line.gateway.network
    network.callees[EXPERT_PHONE] = CallerScript(ring_seconds=1, talk_seconds=3)
    hand_to_expert(base, line)

    # The expert answers, talks with the caller, and hangs up: the transfer is done.
    until(lambda: transfer_status(app, line.call_id) == "completed", timeout=60)
    with network.lock:
        (expert_leg,) = [call for call in network.calls.values() if call.to == EXPERT_PHONE]
    assert expert_leg.from_ == app.config["TWILIO_NUMBER"]  # the expert sees the hotline, not the caller
    assert expert_leg.parent_sid == line.sid
    until(lambda: not line.caller.get(line.state_url, timeout=10).json()["live"])
    kinds = [event.kind for event in app_call(app, line.sid).events]
    assert "transfer.cold_expert" in kinds and "transfer.expert_talked" in kinds
    assert not [event for event in network.errors if event.kind == "application-error"]


def test_an_expert_who_does_not_answer_sends_the_caller_back_to_the_queue(
    app: Flask, live_server: Any, answered_line_call: LineCall
) -> None:
    base, line = live_server.url, answered_line_call
    line.gateway.network.callees[EXPERT_PHONE] = CallerScript(answer="no-answer", ring_seconds=2)
    hand_to_expert(base, line)

    until(lambda: transfer_status(app, line.call_id) == "failed", timeout=60)
    until(lambda: line.caller.get(line.state_url, timeout=10).json()["in_queue"])
    assert "transfer.expert_missed" in [event.kind for event in app_call(app, line.sid).events]
    assert not [event for event in line.gateway.network.errors if event.kind == "application-error"]
