"""The simulated phone line for a test: the simulator gateway in this process, the app on a live server."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import requests
from flask import Flask

from hotline.gateway import Gateway
from hotline.telephony.simulator.gateway import simulator_gateway, simulator_provider, stop_simulator_gateway

KEYS = ("PUBLIC_BASE_URL", "TELEPHONY_OUTBOX_DISPATCH", "SIMULATOR_SPEED")


@contextmanager
def simulated_line(app: Flask, base_url: str, speed: float = 20.0) -> Iterator[Gateway]:
    """Run the app's line as TELEPHONY=simulator does (REST and webhooks through the gateway), `speed` times fast."""
    saved = {key: app.config.get(key) for key in KEYS}
    saved_provider = app.extensions.get("hotline_telephony")
    stop_simulator_gateway(app)
    app.config.update(PUBLIC_BASE_URL=base_url, TELEPHONY_OUTBOX_DISPATCH=True, SIMULATOR_SPEED=speed)
    app.extensions["hotline_telephony"] = simulator_provider(app)
    try:
        yield simulator_gateway(app, base_url)
    finally:
        stop_simulator_gateway(app)
        app.config.update(saved)
        app.extensions["hotline_telephony"] = saved_provider


def simulator_page(base_url: str) -> requests.Session:
    """Open the simulator page like a browser: a session carrying the page's CSRF token."""
    session = requests.Session()
    page = session.get(f"{base_url}/simulator", timeout=10).text
    session.headers["X-CSRFToken"] = page.split('name="csrf-token" content="')[1].split('"')[0]
    return session
