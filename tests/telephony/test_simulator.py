"""The caller simulator: a person dials, hears the menu, presses keys, waits, a worker accepts, they talk, hang up.

The line is the simulator gateway, reached by the app over REST as Twilio would be.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import requests
import time_machine
from flask import Flask

from hotline.accounts.models import User
from hotline.accounts.services import hash_password
from hotline.extensions import db
from tests.conftest import TEST_PASSWORD
from tests.support.simulator import simulated_line, simulator_page
from tests.support.waiting import until

NOON = datetime(2025, 3, 10, 4, 0, tzinfo=UTC)  # Monday 12:00 in Shanghai


def staff_session(base_url: str, username: str) -> requests.Session:
    """Log in like a browser and carry the CSRF token for later posts."""
    staff = requests.Session()
    login = staff.get(f"{base_url}/login", timeout=5).text
    token = login.split('name="csrf-token" content="')[1].split('"')[0]
    staff.post(
        f"{base_url}/login", data={"username": username, "password": TEST_PASSWORD, "csrf_token": token}, timeout=5
    )
    staff.headers["X-CSRFToken"] = token
    return staff


def add_worker(app: Flask, username: str) -> None:
    """Create a worker in the real database."""
    with app.app_context():
        user = User(
            username=username, display_name="值班社工", password_hash=hash_password(TEST_PASSWORD), role="worker"
        )
        db.session.add(user)
        db.session.commit()
        db.session.remove()


def test_a_person_calls_and_talks_with_the_worker_who_accepts(app: Flask, live_server: Any) -> None:
    # Within service hours (Monday 12:00 in Shanghai), whatever the machine's clock says; the clock ticks on.
    with time_machine.travel(NOON, tick=True), simulated_line(app, live_server.url) as gateway:
        add_worker(app, "sim-worker")
        caller = simulator_page(live_server.url)
        sid = caller.post(f"{live_server.url}/simulator/calls", data={"from": "+8613812345678"}, timeout=5).json()[
            "call_sid"
        ]
        state_url = f"{live_server.url}/simulator/calls/{sid}"

        def menu_heard() -> dict[str, Any] | None:
            """Keys are taken from the greeting on; wait until the menu itself was said."""
            state = caller.get(state_url, timeout=5).json()
            said = any("信息和政策咨询请按1" in line["text"] for line in state["transcript"])
            return state if state.get("waiting_for_keys") and said else None

        state = until(menu_heard)
        assert any("信息和政策咨询请按1" in line["text"] for line in state["transcript"])
        caller.post(f"{state_url}/press", data={"digits": "1"}, timeout=5)
        until(lambda: caller.get(state_url, timeout=5).json()["in_queue"])

        staff = staff_session(live_server.url, "sim-worker")
        waiting = until(lambda: staff.get(f"{live_server.url}/simulator/worker/state", timeout=5).json()["waiting"])
        assert waiting[0]["call_sid"] == sid and waiting[0]["caller"] == "138****5678"
        assert staff.post(f"{live_server.url}/simulator/worker/accept/{sid}", timeout=5).status_code == 200
        until(lambda: staff.get(f"{live_server.url}/simulator/worker/state", timeout=5).json()["current"] == sid)
        assert until(lambda: caller.get(state_url, timeout=5).json()["bridged"])
        # The app redirected the caller over the gateway's REST API, as it would at Twilio.
        assert gateway.rest.requests_to("POST", rf"/Calls/{sid}\.json")

        caller.post(f"{state_url}/say", data={"text": "我需要帮助"}, timeout=5)
        staff.post(f"{live_server.url}/simulator/worker/calls/{sid}/say", data={"text": "您好,请讲"}, timeout=5)
        conversation = caller.get(state_url, timeout=5).json()["conversation"]
        assert conversation == [{"sender": "caller", "text": "我需要帮助"}, {"sender": "worker", "text": "您好,请讲"}]
        caller.post(f"{state_url}/hangup", timeout=5)
        until(lambda: not caller.get(state_url, timeout=5).json()["live"])
        with app.app_context():
            from hotline.telephony.services import find_call

            until(lambda: (db.session.expire_all() or True) and find_call(db.session, sid).outcome == "answered")
            db.session.remove()


def test_a_key_pressed_during_the_menu_prompt_is_taken(app: Flask, live_server: Any) -> None:
    with time_machine.travel(NOON, tick=True), simulated_line(app, live_server.url, speed=1.0):
        caller = simulator_page(live_server.url)
        sid = caller.post(f"{live_server.url}/simulator/calls", data={"from": "+8613812345679"}, timeout=5).json()[
            "call_sid"
        ]
        state_url = f"{live_server.url}/simulator/calls/{sid}"
        # At real speed the Mandarin greeting and menu play for several seconds: press as soon as they start.
        state = until(lambda: (s := caller.get(state_url, timeout=5).json())["waiting_for_keys"] and s)
        assert state["transcript"][-1]["kind"] == "say"  # a prompt of the menu is playing
        pressed = caller.post(f"{state_url}/press", data={"digits": "2"}, timeout=5)
        assert pressed.status_code == 200, pressed.text
        state = until(lambda: (s := caller.get(state_url, timeout=5).json())["in_queue"] and s)
        kinds = [line["kind"] for line in state["transcript"]]
        assert "barge-in" in kinds and kinds.index("barge-in") < kinds.index("enqueue")
        with app.app_context():
            from hotline.telephony.services import find_call

            until(lambda: (db.session.expire_all() or True) and find_call(db.session, sid).service == "emotional")
            db.session.remove()
        caller.post(f"{state_url}/hangup", timeout=5)


def test_the_simulator_is_refused_when_disabled(app: Flask, client: Any) -> None:
    app.config["SIMULATOR_ENABLED"] = False
    try:
        assert client.get("/simulator").status_code == 404
    finally:
        app.config["SIMULATOR_ENABLED"] = True


def test_outbound_sms_and_calls_show_on_the_simulator_page(app: Flask, live_server: Any) -> None:
    with simulated_line(app, live_server.url) as gateway:
        provider = app.extensions["hotline_telephony"]
        with app.app_context():
            sid = provider.send_sms("+8613900000001", "请确认转介 ACK 12")
        assert sid.startswith("SM") and gateway.rest.requests_to("POST", r"/Messages\.json")
        outbound = requests.get(f"{live_server.url}/simulator/messages", timeout=5).json()["outbound"]
        assert outbound[0]["kind"] == "sms" and outbound[0]["to"] == "+8613900000001"
        assert outbound[0]["body"] == "请确认转介 ACK 12"
