"""SMS and recordings in the simulated network: inbound SMS webhooks, TwiML replies, REST sends, voicemails.

`Messaging` adds them to the network's event loop (`loop.EventLoop`);
`network.Network` adds the calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from hotline.gateway.interpreter.loop import EventLoop, PendingCallback
from hotline.gateway.interpreter.model import Source
from hotline.gateway.interpreter.queues import new_sid
from hotline.gateway.interpreter.webhooks import TwimlError, WebhookExchange, country_of, parse_twiml

if TYPE_CHECKING:
    from hotline.gateway.interpreter.calls import Call


class WebhookError(RuntimeError):
    """The application answered an SMS webhook with something Twilio could not use."""

    def __init__(self, exchange: WebhookExchange) -> None:
        super().__init__(f"{exchange.method} {exchange.url}: {exchange.error}")
        self.exchange = exchange


@dataclass
class Message:
    """An SMS that went through the network (inbound, a TwiML reply, or sent over REST)."""

    sid: str
    from_: str
    to: str
    body: str
    direction: str
    status: str
    created_utc: datetime
    call_sid: str | None = None
    status_callback: str | None = None
    messaging_service_sid: str | None = None


@dataclass
class Recording:
    """A voicemail made by <Record>."""

    sid: str
    call_sid: str
    url: str
    duration: int
    digits: str
    created_utc: datetime
    path: str | None = None  # the audio file, when a real call was recorded


class Messaging(EventLoop):
    """The account's messages and recordings, and the SMS it sends to the application and for it."""

    account_sid: str
    sms: Source | None
    messages: list[Message]
    recordings: list[Recording]
    recording_files: dict[str, str]

    def add_recording(self, call: Call, sid: str, url: str, duration: int, digits: str) -> Recording:
        """Store a recording made on a call."""
        path = self.recording_files.pop(call.sid, None)
        recording = Recording(sid, call.sid, url, duration, digits, self.now_utc(), path)
        self.recordings.append(recording)
        return recording

    def add_message(
        self,
        *,
        to: str,
        from_: str,
        body: str,
        direction: str,
        call_sid: str | None = None,
        status: str = "sent",
        status_callback: str | None = None,
        messaging_service_sid: str | None = None,
    ) -> Message:
        """Store a message that went through the network."""
        message = Message(
            new_sid("SM"),
            from_,
            to,
            body,
            direction,
            status,
            self.now_utc(),
            call_sid,
            status_callback,
            messaging_service_sid,
        )
        with self.lock:
            self.messages.append(message)
        return message

    def send_message(
        self,
        to: str,
        from_: str,
        body: str,
        *,
        status_callback: str | None = None,
        messaging_service_sid: str | None = None,
    ) -> Message:
        """Send an SMS as the REST API does; report sent and delivered to its status callback."""
        message = self.add_message(
            to=to,
            from_=from_,
            body=body,
            direction="outbound-api",
            status="queued",
            status_callback=status_callback,
            messaging_service_sid=messaging_service_sid,
        )
        if status_callback:
            for delay, status in ((0.5, "sent"), (1.0, "delivered")):
                params = {
                    "AccountSid": self.account_sid,
                    "ApiVersion": "2010-04-01",
                    "From": from_,
                    "To": to,
                    "MessageSid": message.sid,
                    "SmsSid": message.sid,
                    "MessageStatus": status,
                    "SmsStatus": status,
                }
                self.queue_callback(None, self.webhooks.absolute(status_callback), "POST", params, delay=delay)
        return message

    def send_sms_to_app(self, from_: str, to: str, body: str) -> list[str]:
        """Post a signed inbound SMS webhook to the Messaging URL; return the bodies of the TwiML reply."""
        if self.sms is None:
            raise RuntimeError("the network has no sms_url")
        inbound = self.add_message(to=to, from_=from_, body=body, direction="inbound", status="received")
        params = {
            "AccountSid": self.account_sid,
            "ApiVersion": "2010-04-01",
            "Body": body,
            "From": from_,
            "FromCountry": country_of(from_),
            "MessageSid": inbound.sid,
            "NumMedia": "0",
            "NumSegments": "1",
            "SmsMessageSid": inbound.sid,
            "SmsSid": inbound.sid,
            "SmsStatus": "received",
            "To": to,
            "ToCountry": country_of(to),
        }
        exchange = self.webhooks.send(self.sms.url, self.sms.method, params)
        replies: list[str] = []
        if exchange.ok and exchange.status_code is not None and 200 <= exchange.status_code < 300:
            try:
                root = parse_twiml(exchange.body) if exchange.body.strip() else None
            except TwimlError as error:
                exchange.error, exchange.error_code = str(error), 12100
                root = None
            for element in root if root is not None else []:
                if element.tag != "Message":
                    exchange.error = f"<{element.tag}> is not supported in a messaging reply"
                    continue
                body_element = element.find("Body")
                text = "".join((body_element if body_element is not None else element).itertext()).strip()
                self.add_message(
                    to=element.get("to") or from_,
                    from_=element.get("from") or to,
                    body=text,
                    direction="outbound-reply",
                )
                replies.append(text)
        elif exchange.ok:
            exchange.error, exchange.error_code = f"HTTP {exchange.status_code}", 11200
        with self.lock:
            self._log_exchange(exchange, "sms-webhook")
        if not exchange.ok:
            raise WebhookError(exchange)
        return replies

    def _callback_delivered(self, pending: PendingCallback) -> None:
        """Move a message to the status its callback reported."""
        message = next((m for m in self.messages if m.sid == pending.params.get("MessageSid")), None)
        if message is not None and "MessageStatus" in pending.params:
            message.status = pending.params["MessageStatus"]
