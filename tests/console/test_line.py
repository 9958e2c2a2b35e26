"""Hold, mute and who is on the line, on the simulated line end to end over HTTP: the call moves into its
conference on the gateway, the caller is held (hold music) and taken off hold, the worker's leg muted,
and the conference's callbacks tell the app who joined and left."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select

from hotline.extensions import db
from hotline.routing.models import CallLeg
from tests.support.line import EXPERT_PHONE, LineCall, app_call, phone
from tests.support.waiting import until


def legs(app: Flask, call_id: int) -> dict[str, CallLeg]:
    """Return the app's record of the call's legs by role (the newest of each), fresh."""
    with app.app_context():
        rows = db.session.scalars(select(CallLeg).where(CallLeg.call_id == call_id).order_by(CallLeg.id)).all()
        db.session.expunge_all()
        db.session.remove()
    return {row.role: row for row in rows}


def test_hold_and_mute_act_on_the_conference_and_the_page_knows_who_is_on_the_line(
    app: Flask, live_server: Any, answered_line_call: LineCall
) -> None:
    base, line = live_server.url, answered_line_call
    gateway, caller, sid, state_url, staff = line.gateway, line.caller, line.sid, line.state_url, line.staff
    worker_id, expert_id, call_id = line.worker_id, line.expert_id, line.call_id
    api = f"{base}/api/v1/console/calls/{call_id}"

    held = staff.post(f"{api}/hold", json={"hold": True}, timeout=10)
    assert held.status_code == 200 and held.json() == {"hold": True}
    # The call moved into its conference; once the caller joined, the app put them on hold there.
    room = until(lambda: gateway.network.conferences.of_call(sid))
    until(lambda: sid in room.participants and room.participants[sid].hold)
    worker_leg = until(lambda: (p := phone(base, f"client:worker_{worker_id}")) and p["in_conference"] and p)
    until(lambda: legs(app, call_id).get("worker") and legs(app, call_id)["worker"].status == "joined")
    assert legs(app, call_id)["caller"].status == "joined" and legs(app, call_id)["caller"].hold
    caller_call = gateway.network.call(sid)
    assert caller_call.events("conference-hold")[0].detail["hold_url"].endswith("/twilio/console/hold")

    page = staff.get(f"{base}/console/calls/{call_id}/fragments/line", timeout=10).text
    assert 'id="line-legs"' in page and 'data-role="caller"' in page and 'data-role="worker"' in page
    assert 'aria-pressed="true"' in page

    resumed = staff.post(f"{api}/hold", json={"hold": False}, timeout=10)
    assert resumed.json() == {"hold": False}
    assert not room.participants[sid].hold
    muted = staff.post(f"{api}/mute", json={"muted": True}, timeout=10)
    assert muted.json() == {"muted": True}
    assert room.participants[worker_leg["call_sid"]].muted
    assert staff.post(f"{api}/mute", json={"muted": "yes"}, timeout=10).status_code == 400

    # A warm transfer now brings the expert into the same conference; the list shows three.
    warm = staff.post(
        f"{base}/console/calls/{call_id}/transfer",
        data={"kind": "warm", "expert_id": expert_id, "csrf_token": staff.csrf},  # type: ignore[attr-defined]
        timeout=10,
    )
    assert warm.status_code == 200
    until(lambda: (p := phone(base, EXPERT_PHONE)) and p["in_conference"])
    until(lambda: legs(app, call_id).get("expert") and legs(app, call_id)["expert"].status == "joined")
    page = staff.get(f"{base}/console/calls/{call_id}/fragments/line", timeout=10).text
    assert "张律师" in page and page.count("<li data-role=") == 3

    caller.post(f"{state_url}/hangup", timeout=10)
    until(lambda: all(leg.status == "left" for leg in legs(app, call_id).values()))
    assert staff.post(f"{api}/hold", json={"hold": True}, timeout=10).status_code == 409
    kinds = [event.kind for event in app_call(app, sid).events]
    assert ["line.hold", "line.resume", "line.mute"] == [
        k for k in kinds if k.startswith("line.") and k != "line.conference"
    ]
    assert not [event for event in gateway.network.errors if event.kind == "application-error"]
