"""The end-to-end harness: the app on a live server, the gateway's network and REST server playing Twilio."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline import signals
from hotline.extensions import db
from hotline.gateway import Gateway, start_gateway
from hotline.gateway.runner import NUMBER_WEBHOOKS
from hotline.telephony.models import Call, TelephonyCommand
from hotline.telephony.provider_impls import TwilioProvider
from tests.support.waiting import until

HOTLINE = "+862288880000"


@dataclass
class Line:
    """A running phone line to drive from a test."""

    app: Flask
    gateway: Gateway
    heard: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    @property
    def network(self) -> Any:
        """The gateway's network."""
        return self.gateway.network

    def call(self, call_sid: str) -> Call:
        """Read the app's record of a call, fresh from the database."""
        with self.app.app_context(), Session(db.engine, expire_on_commit=False) as session:
            call = session.scalar(select(Call).where(Call.call_sid == call_sid))
            assert call is not None, call_sid
            _ = list(call.events)
            return call

    def session(self) -> Any:
        """Open a session on the real database (inside an app context)."""
        return Session(db.engine, expire_on_commit=False)

    def wait_for_commands(self, timeout: float = 10.0) -> None:
        """Wait until the outbox has sent everything it was given."""

        def sent_everything() -> bool:
            """The outbox has no pending or sending command."""
            with self.app.app_context(), self.session() as session:
                busy = session.scalar(
                    select(TelephonyCommand.id).where(TelephonyCommand.status.in_(("pending", "sending")))
                )
            return busy is None

        until(sent_everything, timeout=timeout, interval=0.05)

    def signals_named(self, name: str) -> list[dict[str, Any]]:
        """Return the data of every signal of this name the app sent."""
        return [data for signal, data in self.heard if signal == name]


@contextmanager
def phone_line(app: Flask, live_server: Any, start: datetime) -> Iterator[Line]:
    """Run the app against the gateway's network and REST server, as against a real Twilio number."""
    token, account = app.config["TWILIO_AUTH_TOKEN"], app.config["TWILIO_ACCOUNT_SID"]
    saved = {key: app.config.get(key) for key in ("PUBLIC_BASE_URL", "TELEPHONY", "TELEPHONY_OUTBOX_DISPATCH")}
    saved_provider = app.extensions.get("hotline_telephony")
    with start_gateway(
        live_server.url, live_server.url, token, account, start_time=start, **NUMBER_WEBHOOKS
    ) as gateway:
        app.config.update(PUBLIC_BASE_URL=live_server.url, TELEPHONY="twilio", TELEPHONY_OUTBOX_DISPATCH=True)
        app.extensions["hotline_telephony"] = TwilioProvider(account, token, HOTLINE, api_base_url=gateway.rest_url)
        line = Line(app, gateway)
        receivers = _listen(line)
        try:
            yield line
        finally:
            for signal, receiver in receivers:
                signal.disconnect(receiver)
            app.config.update(saved)
            app.extensions["hotline_telephony"] = saved_provider


def _listen(line: Line) -> list[tuple[Any, Callable[..., None]]]:
    connected = []
    for signal in (signals.call_created, signals.call_queued, signals.call_ended, signals.callback_needed):

        def receiver(sender: Any, _name: str = signal.name, **data: Any) -> None:
            line.heard.append((_name, data))

        signal.connect(receiver)
        connected.append((signal, receiver))
    return connected
