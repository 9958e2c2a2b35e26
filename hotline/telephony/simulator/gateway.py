"""The simulator's phone line: a gateway in this process, reached like Twilio (REST and signed webhooks).

With TELEPHONY=simulator the app's provider is the Twilio provider pointed at this
gateway's REST server; the gateway posts signed webhooks to the app. Every phone it
rings (a worker's browser, an expert's or a station's phone) answers after a short
ring and waits at menus for keys from the simulator page.
"""

from __future__ import annotations

import secrets
import threading

from flask import Flask

from hotline.gateway import Gateway
from hotline.gateway.media.simulated import SimulatedMedia, waits_for_a_person
from hotline.gateway.runner import NUMBER_WEBHOOKS
from hotline.telephony.provider_impls import TwilioProvider

GATEWAY_KEY = "hotline_simulator_gateway"
_lock = threading.Lock()


def ensure_webhook_token(app: Flask) -> None:
    """Give the simulated line an account, a signing token and a number when none is configured (development)."""
    if not app.config.get("TWILIO_AUTH_TOKEN"):
        app.config["TWILIO_AUTH_TOKEN"] = "simulator-" + secrets.token_hex(16)
    if not app.config.get("TWILIO_ACCOUNT_SID"):
        app.config["TWILIO_ACCOUNT_SID"] = "AC" + "5" * 32
    if not app.config.get("TWILIO_NUMBER"):
        app.config["TWILIO_NUMBER"] = "+862200000000"


def simulator_gateway(app: Flask, app_base_url: str | None = None) -> Gateway:
    """Return the running simulator gateway, starting it on first use.

    Webhooks go to `app_base_url` (the address a simulator page was served from),
    else to PUBLIC_BASE_URL; they are signed for PUBLIC_BASE_URL either way.
    """
    with _lock:
        gateway = app.extensions.get(GATEWAY_KEY)
        target = (app_base_url or app.config["PUBLIC_BASE_URL"]).rstrip("/")
        if gateway is None:
            gateway = Gateway(
                target,
                app.config["PUBLIC_BASE_URL"],
                app.config["TWILIO_AUTH_TOKEN"],
                app.config["TWILIO_ACCOUNT_SID"],
                media=SimulatedMedia(default_callee=waits_for_a_person()),
                **NUMBER_WEBHOOKS,
            )
            gateway.start(app.config.get("SIMULATOR_SPEED") or 1.0)
            app.extensions[GATEWAY_KEY] = gateway
        elif app_base_url:
            gateway.network.webhooks.app_base_url = target
        return gateway


def stop_simulator_gateway(app: Flask) -> None:
    """Stop and forget the simulator gateway (tests, shutdown)."""
    with _lock:
        gateway = app.extensions.pop(GATEWAY_KEY, None)
    if gateway is not None:
        gateway.stop()


def simulator_provider(app: Flask) -> TwilioProvider:
    """Return the Twilio provider of the simulated line: its REST requests go to the simulator gateway."""
    return TwilioProvider(
        app.config["TWILIO_ACCOUNT_SID"] or "",
        app.config["TWILIO_AUTH_TOKEN"] or "",
        app.config.get("TWILIO_NUMBER"),
        api_base_url=lambda: simulator_gateway(app).rest_url,
    )
