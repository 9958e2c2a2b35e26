"""Tell the application when the trunk registration is lost or restored: a signed POST, as Twilio's callbacks are.

The gateway imports nothing of the application, so it reports the trunk like any other
callback: `POST /twilio/wallboard/trunk` on the public base URL, signed with X-Twilio-Signature.
Reports go out in order from one thread, each tried again (1, 2, 4... s, up to a minute)
until the application answers 2xx or a newer report replaces it.
"""

from __future__ import annotations

import logging
import queue
import threading
import time

import requests

from hotline.gateway.interpreter.webhooks import WebhookSender

log = logging.getLogger(__name__)
TRUNK_PATH = "/twilio/wallboard/trunk"
EVENTS = {True: "trunk-registration-restored", False: "trunk-registration-lost"}
RETRY_MAX_SECONDS = 60.0


class TrunkReporter:
    """Post each change of the trunk registration to the application, in order, retrying while it is unreachable."""

    def __init__(self, sender: WebhookSender, account_sid: str, gateway: str, retry_first_seconds: float = 1.0) -> None:
        self.sender = sender
        self.account_sid = account_sid
        self.gateway = gateway
        self.retry_first_seconds = retry_first_seconds
        self.delivered: list[dict[str, str]] = []
        self._queue: queue.Queue[dict[str, str] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="gateway-trunk-report", daemon=True)

    @classmethod
    def for_app(cls, app_base_url: str, public_base_url: str, auth_token: str, account_sid: str, gateway: str):  # noqa: ANN206
        """A reporter signing with the account's auth token, on its own HTTP session."""
        sender = WebhookSender(app_base_url, public_base_url, auth_token, requests.Session(), timeout=10.0)
        return cls(sender, account_sid, gateway)

    def start(self) -> TrunkReporter:
        """Send reports from a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop after the report being sent (reports still waiting are dropped)."""
        self._queue.put(None)
        self._thread.join(15)

    def changed(self, registered: bool, status_code: int, reason: str) -> None:
        """Queue a report that the registration now holds (or is lost); any thread, it never waits."""
        self._queue.put(
            {
                "AccountSid": self.account_sid,
                "Event": EVENTS[registered],
                "Gateway": self.gateway,
                "StatusCode": str(status_code),
                "Reason": reason[:200],
                "Timestamp": f"{time.time():.6f}",
            }
        )

    def _run(self) -> None:
        url = self.sender.public_base_url + TRUNK_PATH
        report = self._queue.get()
        while report is not None:
            delay = self.retry_first_seconds
            while True:
                exchange = self.sender.post_callback(url, "POST", report)
                if exchange.ok:
                    self.delivered.append(report)
                    break
                log.warning("the application did not take the trunk report (%s); again in %s s", exchange.error, delay)
                try:
                    newer = self._queue.get(timeout=delay)
                except queue.Empty:
                    delay = min(delay * 2, RETRY_MAX_SECONDS)
                    continue
                report = newer  # a newer state replaces the one not delivered; None stops
                if report is None:
                    return
                delay = self.retry_first_seconds
            report = self._queue.get()
