"""The demo end to end over HTTP: a worker escalates a case to the station covering the caller's
community, the simulator shows the station's SMS, the station's reply accepts it, the console shows it."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import requests
import time_machine
from flask import Flask
from sqlalchemy import select

from hotline.accounts.models import User
from hotline.cases.models import Case
from hotline.demo import DEMO_PASSWORD, seed_demo
from hotline.directory.models import Area, Station, station_areas
from hotline.extensions import db
from tests.support.simulator import simulated_line, simulator_page
from tests.support.waiting import until

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # Tuesday 10:00 in Shanghai, a working day of the demo rota


def logged_in_session(base: str, username: str) -> requests.Session:
    """Log in like a browser and carry the CSRF token for later posts."""
    session = requests.Session()
    page = session.get(f"{base}/login", timeout=10).text
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    session.post(
        f"{base}/login", data={"username": username, "password": DEMO_PASSWORD, "csrf_token": token}, timeout=10
    )
    session.headers["X-CSRFToken"] = token
    return session


def demo_case(app: Flask) -> tuple[int, str]:
    """Seed the demo and a case in a community; return the case and its covering station's duty phone."""
    with app.app_context():
        seed_demo(db.session, NOW)
        community = db.session.scalar(select(Area).where(Area.level == "community").order_by(Area.code))
        # The nearest tier covering the community: its room (tier 3) when it has one.
        station = db.session.scalar(
            select(Station)
            .join(station_areas, station_areas.c.station_id == Station.id)
            .where(station_areas.c.area_id == community.id, Station.tier == "room")
        )
        case = Case(
            reference="DEMO-E2E-1",
            area_id=community.id,
            caller_phone="+8613812345678",
            caller_name="张阿姨",
            consent_share=True,
            consent_callback=True,
            summary="独居老人，需要上门探访。",
            services=["resources"],
            target_groups=["elderly_alone"],
            assigned_to_id=db.session.scalar(select(User.id).where(User.username == "worker01")),
        )
        db.session.add(case)
        db.session.commit()
        found = case.id, station.duty_contact_phone or station.phone
        db.session.remove()
    return found


def escalate(worker: requests.Session, base: str, case_id: int, urgency: str) -> None:
    """Escalate the case from its page, as the worker would."""
    form = worker.get(f"{base}/escalation/new?case_id={case_id}", timeout=10)
    assert form.status_code == 200
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form.text).group(1)
    sent = worker.post(
        f"{base}/escalation/new?case_id={case_id}",
        data={"reason": "home_visit", "urgency": urgency, "note": "请上门探访", "csrf_token": token},
        timeout=10,
    )
    assert sent.status_code == 200 and "/escalation/" in sent.url


def referral_status(worker: requests.Session, base: str, case_id: int) -> str | None:
    """Return the status of the case's referral, as the API shows it."""
    referrals = worker.get(f"{base}/api/v1/referrals", timeout=10).json()
    items = referrals["referrals"] if isinstance(referrals, dict) else referrals
    mine = [item for item in items if (item["case"] or {}).get("id") == case_id]
    return mine[0]["status"] if mine else None


def test_escalate_to_the_covering_station_and_accept_by_sms(app: Flask, live_server: Any) -> None:
    with time_machine.travel(NOW, tick=True), simulated_line(app, live_server.url, speed=1.0):
        case_id, station_phone = demo_case(app)
        worker = logged_in_session(live_server.url, "worker01")
        escalate(worker, live_server.url, case_id, "normal")

        # The simulator shows the SMS the covering station's duty phone received, with its reply code.
        # The outbox sends it in the background: poll the page like the demo's user would.
        def station_sms() -> dict[str, Any] | None:
            outbound = requests.get(f"{live_server.url}/simulator/messages", timeout=10).json()["outbound"]
            return next((item for item in outbound if item["kind"] == "sms"), None)

        sms = until(station_sms, timeout=10)
        assert sms["to"] == station_phone and "138****5678" in sms["body"]
        code = re.search(r"1\s*([A-Za-z0-9]{4,})", sms["body"]).group(1)

        # The station replies "1 <code>" from its phone, through the simulator's signed SMS webhook.
        simulator = simulator_page(live_server.url)
        replies = simulator.post(
            f"{live_server.url}/simulator/sms", data={"from": station_phone, "body": f"1 {code}"}, timeout=10
        ).json()["replies"]
        assert replies, "the station gets a confirmation"
        assert referral_status(worker, live_server.url, case_id) == "accepted"

        board = worker.get(f"{live_server.url}/console/fragments/board", timeout=10).text
        assert "console-referrals" in board and "已接受" in board


def test_an_urgent_escalation_calls_the_station_which_accepts_by_keypress(app: Flask, live_server: Any) -> None:
    with time_machine.travel(NOW, tick=True), simulated_line(app, live_server.url, speed=1.0):
        case_id, station_phone = demo_case(app)
        worker = logged_in_session(live_server.url, "worker01")
        escalate(worker, live_server.url, case_id, "urgent")

        # The station's phone rings on the simulator page, answers, and hears the request read out.
        def ringing() -> dict[str, Any] | None:
            phones = requests.get(f"{live_server.url}/simulator/messages", timeout=10).json()["phones"]
            found = next((item for item in phones if item["to"] == station_phone), None)
            return found if found and found["waiting_for_keys"] else None

        phone = until(ringing, timeout=20)
        assert any(line["kind"] == "say" and "138****5678" in line["text"] for line in phone["transcript"])
        simulator = simulator_page(live_server.url)
        pressed = simulator.post(f"{live_server.url}/simulator/calls/{phone['call_sid']}/press", data={"digits": "1"})
        assert pressed.status_code == 200
        until(lambda: referral_status(worker, live_server.url, case_id) == "accepted", timeout=20)
