"""The simulator's phone network: one per process, started on first use."""

from __future__ import annotations

import secrets
import threading
from typing import Any

from flask import Flask

NETWORK_KEY = "hotline_simulator_network"
_lock = threading.Lock()


def ensure_webhook_token(app: Flask) -> None:
    """Give the simulator a signing token when no Twilio account is configured (development)."""
    if not app.config.get("TWILIO_AUTH_TOKEN"):
        app.config["TWILIO_AUTH_TOKEN"] = "simulator-" + secrets.token_hex(16)
    if not app.config.get("TWILIO_ACCOUNT_SID"):
        app.config["TWILIO_ACCOUNT_SID"] = "AC" + "5" * 32
    if not app.config.get("TWILIO_NUMBER"):
        app.config["TWILIO_NUMBER"] = "+862200000000"


def get_network(app: Flask, app_base_url: str) -> Any:
    """Return the running simulator network, starting it (posting to `app_base_url`) if needed."""
    from hotline.gateway.interpreter import Network

    with _lock:
        network = app.extensions.get(NETWORK_KEY)
        if network is None:
            network = Network(
                app_base_url.rstrip("/"),
                app.config["PUBLIC_BASE_URL"],
                app.config["TWILIO_AUTH_TOKEN"],
                app.config["TWILIO_ACCOUNT_SID"],
                "/twilio/voice/incoming",
                status_callback_url="/twilio/voice/status",
                fallback_url="/twilio/voice/fallback",
                sms_url="/twilio/sms/incoming",
                inbound_status_events=("initiated", "ringing", "answered", "completed"),
            )
            network.start(app.config.get("SIMULATOR_SPEED", 1.0))
            app.extensions[NETWORK_KEY] = network
        return network


def stop_network(app: Flask) -> None:
    """Stop and forget the simulator network (tests, shutdown)."""
    with _lock:
        network = app.extensions.pop(NETWORK_KEY, None)
    if network is not None:
        network.close()
