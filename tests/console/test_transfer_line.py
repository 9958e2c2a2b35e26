"""A warm transfer on the simulated line, end to end over HTTP: the caller, the worker and the expert's
phone meet in a conference on the gateway, the worker leaves from the console, the expert hangs up."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select

from hotline.extensions import db
from hotline.telephony.models import CallEvent
from tests.support.line import (  # noqa: F401  (tests/gateway/sip import these from here)
    EXPERT_PHONE,
    NOON,
    LineCall,
    app_call,
    phone,
    staff_session,
    worker_and_expert_on_duty,
)
from tests.support.waiting import until


def test_a_warm_transfer_meets_in_the_conference_the_worker_leaves_and_the_expert_hangs_up(
    app: Flask, live_server: Any, answered_line_call: LineCall
) -> None:
    base, line = live_server.url, answered_line_call
    caller, sid, state_url, staff = line.caller, line.sid, line.state_url, line.staff

    warm = staff.post(
        f"{base}/console/calls/{line.call_id}/transfer",
        data={"kind": "warm", "expert_id": line.expert_id, "csrf_token": staff.csrf},  # type: ignore[attr-defined]
        timeout=10,
    )
    assert warm.status_code == 200, warm.text[:500]
    # The expert's phone rings on the simulator page, answers, and joins the caller and the worker.
    expert = until(lambda: (p := phone(base, EXPERT_PHONE)) and p["in_conference"] and p)
    worker_leg = until(lambda: (p := phone(base, f"client:worker_{line.worker_id}")) and p["in_conference"] and p)
    assert until(lambda: caller.get(state_url, timeout=10).json()["in_conference"])
    room = line.gateway.network.conferences.of_call(sid)
    assert set(room.participants) == {sid, expert["call_sid"], worker_leg["call_sid"]}

    left = staff.post(
        f"{base}/console/calls/{line.call_id}/transfer",
        data={"kind": "leave", "csrf_token": staff.csrf},  # type: ignore[attr-defined]
        timeout=10,
    )
    assert left.status_code == 200, left.text[:500]
    until(lambda: not phone(base, f"client:worker_{line.worker_id}")["live"])
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
    assert line.gateway.rest.requests_to("POST", r"/Calls\.json")  # the legs were placed over REST
    assert not [event for event in line.gateway.network.errors if event.kind == "application-error"]
    with app.app_context():
        kinds = db.session.scalars(select(CallEvent.kind).where(CallEvent.call_id == line.call_id)).all()
        db.session.remove()
    assert "transfer.worker_left" in kinds
