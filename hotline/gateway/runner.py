"""Run the gateway: its network (the TwiML interpreter with a media backend) and its REST server.

`start_gateway(...)` runs one in this process (the caller simulator, the tests) and stops it
afterwards; `python -m hotline.gateway` runs one on its own. Either way the application
talks to it exactly as to Twilio: REST requests to `rest_url` with the account's
credentials, signed webhooks from it to the number's URLs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from hotline.gateway.interpreter.network import Network
from hotline.gateway.rest.server import RestServer

NUMBER_WEBHOOKS: dict[str, Any] = {
    "voice_url": "/twilio/voice/incoming",
    "status_callback_url": "/twilio/voice/status",
    "fallback_url": "/twilio/voice/fallback",
    "sms_url": "/twilio/sms/incoming",
    "inbound_status_events": ("initiated", "ringing", "answered", "completed"),
}
"""The hotline number's webhooks, as they are set on a Twilio number (paths on the public base URL)."""


class Gateway:
    """A gateway: `network` plays the calls, `rest` serves Twilio's REST API on them at `rest_url`.

    `network_options` go to `Network` (voice_url, sms_url, status_callback_url,
    fallback_url, inbound_status_events, media, timing, start_time...).
    """

    def __init__(
        self,
        app_base_url: str,
        public_base_url: str,
        auth_token: str,
        account_sid: str,
        *,
        api_keys: dict[str, str] | None = None,
        rest_host: str = "127.0.0.1",
        rest_port: int = 0,
        **network_options: Any,
    ) -> None:
        voice_url = network_options.pop("voice_url", NUMBER_WEBHOOKS["voice_url"])
        self.network = Network(app_base_url, public_base_url, auth_token, account_sid, voice_url, **network_options)
        self.rest = RestServer(self.network, api_keys=api_keys, auth_token=auth_token, host=rest_host, port=rest_port)

    @property
    def rest_url(self) -> str:
        """Return the base URL of the REST server (the app's TWILIO_API_BASE_URL)."""
        return self.rest.base_url

    def start(self, realtime: float | None = None) -> Gateway:
        """Serve REST in a background thread; with `realtime`, also run the calls there at that speed."""
        self.rest.start()
        if realtime:
            self.network.start(realtime)
        return self

    def stop(self) -> None:
        """Stop the REST server and the network."""
        self.rest.stop()
        self.network.close()

    def __enter__(self) -> Gateway:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


@contextmanager
def start_gateway(
    app_base_url: str,
    public_base_url: str,
    auth_token: str,
    account_sid: str,
    *,
    realtime: float | None = None,
    **options: Any,
) -> Iterator[Gateway]:
    """Start a gateway in this process and stop it afterwards.

    Args:
        app_base_url: where the application really listens (webhooks are sent there).
        public_base_url: the URL the application signs and writes in its TwiML.
        auth_token: the account's auth token: REST requests authenticate with it, webhooks are signed with it.
        account_sid: the account's SID.
        realtime: run calls in a background thread at this speed (None: the caller drives the virtual clock).
        options: `Gateway` options (api_keys, rest_port, and the network's).

    Yields:
        The running gateway.
    """
    gateway = Gateway(app_base_url, public_base_url, auth_token, account_sid, **options)
    gateway.start(realtime)
    try:
        yield gateway
    finally:
        gateway.stop()
