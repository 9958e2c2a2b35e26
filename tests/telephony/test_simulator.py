"""The caller simulator: a person dials, hears the menu, presses keys, waits, a worker accepts, they talk, hang up."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import requests
import time_machine
from flask import Flask

from hotline.accounts.models import User
from hotline.accounts.services import hash_password
from hotline.extensions import db
from hotline.telephony.simulator.network import stop_network
from tests.conftest import TEST_PASSWORD
from tests.support.waiting import until

NOON = datetime(2025, 3, 10, 4, 0, tzinfo=UTC)  # Monday 12:00 in Shanghai


def browser(live_server: Any) -> requests.Session:
    """A session that carries the page's CSRF token like the page's script does."""
    session = requests.Session()
    page = session.get(f"{live_server.url}/simulator", timeout=5).text
    session.headers["X-CSRFToken"] = page.split('name="csrf-token" content="')[1].split('"')[0]
    return session


def test_a_person_calls_and_talks_with_the_worker_who_accepts(app: Flask, live_server: Any) -> None:
    # Within service hours (Monday 12:00 in Shanghai), whatever the machine's clock says; the clock ticks on.
    clock = time_machine.travel(NOON, tick=True)
    clock.start()
    saved = app.config["PUBLIC_BASE_URL"], app.config["TELEPHONY_OUTBOX_DISPATCH"], app.config.get("SIMULATOR_SPEED")
    app.config.update(PUBLIC_BASE_URL=live_server.url, TELEPHONY_OUTBOX_DISPATCH=True, SIMULATOR_SPEED=20.0)
    from hotline.telephony.provider_impls import SimulatorProvider

    saved_provider = app.extensions.get("hotline_telephony")
    app.extensions["hotline_telephony"] = SimulatorProvider(app)
    try:
        with app.app_context():
            worker = User(
                username="sim-worker",
                display_name="值班社工",
                password_hash=hash_password(TEST_PASSWORD),
                role="worker",
            )
            db.session.add(worker)
            db.session.commit()
            db.session.remove()
        caller = browser(live_server)
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

        staff = requests.Session()
        login = staff.get(f"{live_server.url}/login", timeout=5).text
        token = login.split('name="csrf-token" content="')[1].split('"')[0]
        staff.post(
            f"{live_server.url}/login",
            data={"username": "sim-worker", "password": TEST_PASSWORD, "csrf_token": token},
            timeout=5,
        )
        staff.headers["X-CSRFToken"] = token
        waiting = until(lambda: staff.get(f"{live_server.url}/simulator/worker/state", timeout=5).json()["waiting"])
        assert waiting[0]["call_sid"] == sid and waiting[0]["caller"] == "138****5678"
        assert staff.post(f"{live_server.url}/simulator/worker/accept/{sid}", timeout=5).status_code == 200
        until(lambda: staff.get(f"{live_server.url}/simulator/worker/state", timeout=5).json()["current"] == sid)
        assert caller.get(state_url, timeout=5).json()["bridged"]

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
    finally:
        clock.stop()
        stop_network(app)
        app.config["PUBLIC_BASE_URL"], app.config["TELEPHONY_OUTBOX_DISPATCH"], app.config["SIMULATOR_SPEED"] = saved
        app.extensions["hotline_telephony"] = saved_provider


def test_the_simulator_is_refused_when_disabled(app: Flask, client: Any) -> None:
    app.config["SIMULATOR_ENABLED"] = False
    try:
        assert client.get("/simulator").status_code == 404
    finally:
        app.config["SIMULATOR_ENABLED"] = True


def test_outbound_sms_and_calls_are_kept_for_the_simulator_page(app: Flask) -> None:
    from hotline.telephony.provider_impls import SimulatorProvider
    from hotline.telephony.simulator.services import outbound

    provider = SimulatorProvider(app)
    with app.app_context():
        sid = provider.send_sms("+8613900000001", "请确认转介 ACK 12")
    assert sid.startswith("SM") and provider.messages[0]["body"] == "请确认转介 ACK 12"
    # Written in the background by its own session: visible outside this test's transaction.
    from sqlalchemy.orm import Session

    with app.app_context(), Session(db.engine) as session:
        until(lambda: session.rollback() or outbound(session))  # a fresh snapshot each time
        rows = outbound(session)
        assert rows[0]["body"] == "请确认转介 ACK 12" and rows[0]["to"] == "+8613900000001"
        from hotline.telephony.models import SimulatedMessage

        session.query(SimulatedMessage).delete()
        session.commit()
