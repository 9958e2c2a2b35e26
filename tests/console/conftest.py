"""Console fixtures: a worker on duty now, a call offered and accepted, a recording phone provider, a call
answered on the simulated line."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from flask import Flask

from hotline.clock import utcnow
from hotline.routing import services as routing
from hotline.telephony.providers import RecordingProvider
from tests.routing.conftest import put_on_duty, queue_call, set_available
from tests.support.line import NOON, LineCall, answer_on_the_line
from tests.support.simulator import simulated_line


@pytest.fixture(autouse=True)
def recording_provider(app: Flask) -> Iterator[RecordingProvider]:
    """Send nothing to a phone network: record what the console asks for, synchronously."""
    saved_provider = app.extensions.get("hotline_telephony")
    saved_dispatch = app.config.get("TELEPHONY_OUTBOX_DISPATCH", True)
    provider = RecordingProvider()
    app.extensions["hotline_telephony"] = provider
    app.config["TELEPHONY_OUTBOX_DISPATCH"] = False
    yield provider
    app.extensions["hotline_telephony"] = saved_provider
    app.config["TELEPHONY_OUTBOX_DISPATCH"] = saved_dispatch


@pytest.fixture
def real_socketio(app: Flask) -> None:
    """Undo what Flask-SocketIO's test client does to the shared server (it mocks packet sending), so
    real clients of a live server get their events even after another test used the test client."""
    from hotline.extensions import socketio

    server = socketio.server
    for patched in ("_send_packet", "_send_eio_packet"):
        server.__dict__.pop(patched, None)
    server.async_handlers = True
    server.eio.async_handlers = True


@pytest.fixture
def on_duty_worker(make_user: Callable[..., Any], db_session: Any) -> Callable[..., Any]:
    """Build a certified worker on duty now and available."""

    def build(**fields: Any) -> Any:
        user = make_user("worker", **fields)
        now = utcnow()
        put_on_duty(db_session, [user], now=now)
        set_available(db_session, user, now - timedelta(minutes=5), now=now)
        return user

    return build


@pytest.fixture
def accepted_call(db_session: Any, on_duty_worker: Callable[..., Any], recording_provider: RecordingProvider) -> Any:
    """A worker who has accepted a queued call: (worker, call)."""
    worker = on_duty_worker()
    now = utcnow()
    call = queue_call(db_session, queued_at=now - timedelta(seconds=40))
    (offer,) = routing.call_queued(db_session, call.id, now)
    routing.accept_offer(db_session, offer.id, worker.id, now, recording_provider)
    return worker, call


@pytest.fixture
def answered_line_call(app: Flask, live_server: Any) -> Iterator[LineCall]:
    """A call answered by the worker on the simulated line, at noon on a clock that ticks on from there."""
    with time_machine.travel(NOON, tick=True), simulated_line(app, live_server.url) as gateway:
        yield answer_on_the_line(app, live_server.url, gateway)
