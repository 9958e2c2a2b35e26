"""The real provider behind `TelephonyProvider`: Twilio's REST API, at Twilio or at a gateway.

`install_provider(app)` picks the line by TELEPHONY: a Twilio account, or the
simulator's in-process gateway (`simulator/gateway.py`), reached the same way.
Only this module talks to the twilio REST client; the rest of the application
calls `get_provider()`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

from flask import Flask

from hotline.telephony.providers import RecordingAudio, TelephonyError

log = logging.getLogger("hotline.telephony.providers")
STATUS_EVENTS = ["initiated", "ringing", "answered", "completed"]
MEDIA_CHUNK = 64 * 1024


class TwilioProvider:
    """Twilio's REST API; TWILIO_API_BASE_URL points it at a compatible server (a gateway).

    `api_base_url` may be a function, asked before each request (the simulator's gateway
    starts on first use, on a port of its own).
    """

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_number: str | None,
        api_base_url: str | Callable[[], str] | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.from_number = from_number
        self.api_base_url = api_base_url
        self.timeout = timeout
        self._client: Any = None
        self._client_base_url: str | None = None

    @property
    def client(self) -> Any:
        """Return the twilio REST client (built on first use, again when the base URL changes)."""
        base_url = self.api_base_url() if callable(self.api_base_url) else self.api_base_url
        if self._client is None or base_url != self._client_base_url:
            from hotline.telephony.twilio_http import build_client

            self._client = build_client(self.account_sid, self.auth_token, api_base_url=base_url, timeout=self.timeout)
            self._client_base_url = base_url
        return self._client

    def send_sms(self, to: str, body: str, status_callback: str | None = None) -> str:
        """Send an SMS from the hotline's number; return its MessageSid."""
        extra = {"status_callback": status_callback} if status_callback else {}
        return self._run(lambda: self.client.messages.create(to=to, from_=self.from_number, body=body, **extra).sid)

    def place_call(self, to: str, url: str, status_callback: str | None = None) -> str:
        """Call a number or client:identity and run the TwiML at `url`; return the CallSid."""
        extra: dict[str, Any] = {}
        if status_callback:
            extra = {"status_callback": status_callback, "status_callback_event": STATUS_EVENTS}
        return self._run(
            lambda: self.client.calls.create(to=to, from_=self.from_number, url=url, method="POST", **extra).sid
        )

    def redirect_call(self, call_sid: str, url: str) -> None:
        """Send a live call (waiting in a queue or talking) to the TwiML at `url`."""
        self._run(lambda: self.client.calls(call_sid).update(url=url, method="POST"))

    def hang_up(self, call_sid: str) -> None:
        """End a live call."""
        self._run(lambda: self.client.calls(call_sid).update(status="completed"))

    def update_participant(
        self, conference: str, call_sid: str, *, muted: bool | None = None, hold: bool | None = None, hold_url: str = ""
    ) -> None:
        """Update a participant of the live conference of this name (Participants resource: Muted, Hold, HoldUrl)."""
        changes: dict[str, Any] = {}
        if muted is not None:
            changes["muted"] = muted
        if hold is not None:
            changes["hold"] = hold
            if hold and hold_url:
                changes |= {"hold_url": hold_url, "hold_method": "POST"}

        def update() -> None:
            rooms = self.client.conferences.list(friendly_name=conference, status="in-progress", limit=1)
            if not rooms:
                raise TelephonyError(f"no live conference {conference!r}")
            self.client.conferences(rooms[0].sid).participants(call_sid).update(**changes)

        self._run(update)

    def fetch_recording(self, recording_url: str) -> RecordingAudio:
        """Fetch the recording's MP3 from Twilio's REST API with the account's credentials, as a stream."""
        import requests

        host = urlsplit(recording_url).hostname or ""
        if host != "twilio.com" and not host.endswith(".twilio.com"):
            # Never send the account's credentials anywhere but Twilio (or the configured stand-in).
            raise TelephonyError(f"not a Twilio recording URL: {host or recording_url!r}")
        http_client = self.client.http_client
        url = recording_url + ".mp3"
        if hasattr(http_client, "rewrite"):
            url = http_client.rewrite(url)
        session = getattr(http_client, "session", None) or requests.Session()
        try:
            response = session.get(url, auth=self.client.get_auth(None), stream=True, timeout=self.timeout)
        except requests.exceptions.RequestException as exc:
            raise TelephonyError(f"Twilio unreachable for the recording: {exc}", retryable=True) from exc
        if response.status_code != 200:
            response.close()
            raise TelephonyError(f"Twilio {response.status_code} for the recording", retryable=True)
        length = response.headers.get("Content-Length")
        return RecordingAudio(
            response.headers.get("Content-Type", "audio/mpeg"),
            _stream(response),
            int(length) if length and length.isdigit() else None,
        )

    def delete_recording(self, recording_sid: str) -> None:
        """Delete the recording from Twilio (DELETE …/Recordings/{sid}.json); one already gone counts as deleted."""
        from twilio.base.exceptions import TwilioRestException

        try:
            self._run(lambda: self.client.recordings(recording_sid).delete())
        except TelephonyError as exc:
            if isinstance(exc.__cause__, TwilioRestException) and exc.__cause__.status == 404:
                return
            raise

    def _run(self, request: Any) -> Any:
        """Run one REST request, turning library and network errors into TelephonyError."""
        import requests
        from twilio.base.exceptions import TwilioRestException

        try:
            return request()
        except TwilioRestException as exc:
            server_side = exc.status >= 500
            raise TelephonyError(
                f"Twilio {exc.status}: {exc.msg}", retryable=server_side, maybe_done=server_side
            ) from exc
        except requests.exceptions.ConnectTimeout as exc:
            raise TelephonyError(f"Twilio unreachable: {exc}", retryable=True) from exc
        except requests.exceptions.ConnectionError as exc:
            # Refused or reset: a refused connection sent nothing, a reset may have.
            refused = "refused" in str(exc).lower() or "Failed to establish" in str(exc)
            raise TelephonyError(f"Twilio connection failed: {exc}", retryable=True, maybe_done=not refused) from exc
        except requests.exceptions.RequestException as exc:
            raise TelephonyError(f"Twilio request failed: {exc}", retryable=True, maybe_done=True) from exc


def _stream(response: Any) -> Iterator[bytes]:
    """Yield a streamed response's body in chunks, and release its connection at the end."""
    try:
        yield from response.iter_content(MEDIA_CHUNK)
    finally:
        response.close()


def install_provider(app: Flask) -> None:
    """Install the provider TELEPHONY names unless one is installed (the gateway speaks Twilio's REST)."""
    if app.extensions.get("hotline_telephony") is not None:
        return
    if app.config.get("TELEPHONY") in ("twilio", "gateway"):
        app.extensions["hotline_telephony"] = TwilioProvider(
            app.config["TWILIO_ACCOUNT_SID"] or "",
            app.config["TWILIO_AUTH_TOKEN"] or "",
            app.config.get("TWILIO_NUMBER"),
            api_base_url=app.config.get("TWILIO_API_BASE_URL"),
        )
    else:
        from hotline.telephony.simulator.gateway import ensure_webhook_token, simulator_provider

        ensure_webhook_token(app)
        app.extensions["hotline_telephony"] = simulator_provider(app)
