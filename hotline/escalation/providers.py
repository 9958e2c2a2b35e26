"""Notification channels: the outside world a referral reaches (SMS, a voice call, a group chat robot).

Each channel takes a stored `NotificationAttempt` and returns the provider's id.
SMS and voice go through the telephony provider (Twilio or the simulator); the
webhook channel POSTs JSON to a group chat robot's URL (WeCom, DingTalk and
Feishu robots all take `{"msgtype": "text", "text": {"content": ...}}`).
"""

from __future__ import annotations

import hashlib
from typing import Protocol

import requests
from flask import current_app

from hotline.escalation.models import Channel, NotificationAttempt
from hotline.telephony.providers import TelephonyError, TelephonyProvider


class ChannelError(Exception):
    """The channel could not deliver the notification."""


class NotificationChannel(Protocol):
    """Something that delivers one attempt and returns the provider's id."""

    def send(self, attempt: NotificationAttempt, provider: TelephonyProvider) -> str:
        """Deliver the attempt."""


def public_url(path: str) -> str:
    """Return an absolute URL on this site, as Twilio and responders reach it."""
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


def status_callback_url(attempt: NotificationAttempt) -> str:
    """Return where Twilio reports the attempt's delivery status."""
    return public_url(f"/twilio/escalation/status/{attempt.id}")


class SmsChannel:
    """An SMS through the telephony provider."""

    def send(self, attempt: NotificationAttempt, provider: TelephonyProvider) -> str:
        """Send the SMS."""
        try:
            return provider.send_sms(attempt.destination, attempt.body or "", status_callback_url(attempt))
        except TelephonyError as exc:
            raise ChannelError(str(exc)) from exc


class VoiceChannel:
    """A voice call that reads the request and takes the answer by keypress."""

    def send(self, attempt: NotificationAttempt, provider: TelephonyProvider) -> str:
        """Place the call; Twilio fetches the TwiML from our webhook."""
        try:
            return provider.place_call(
                attempt.destination, public_url(f"/twilio/escalation/voice/{attempt.id}"), status_callback_url(attempt)
            )
        except TelephonyError as exc:
            raise ChannelError(str(exc)) from exc


class WebhookChannel:
    """A JSON POST to a group chat robot."""

    timeout_seconds = 5

    def send(self, attempt: NotificationAttempt, provider: TelephonyProvider) -> str:
        """Post the message; the id is a digest of the response (robots return no message id)."""
        try:
            response = requests.post(
                attempt.destination,
                json={"msgtype": "text", "text": {"content": attempt.body or ""}},
                timeout=self.timeout_seconds,
            )
        except requests.RequestException as exc:
            raise ChannelError(type(exc).__name__) from exc
        if response.status_code >= 400:
            raise ChannelError(f"HTTP {response.status_code}")
        return "WH" + hashlib.sha256(response.content).hexdigest()[:30]


CHANNELS: dict[str, NotificationChannel] = {
    Channel.SMS.value: SmsChannel(),
    Channel.VOICE.value: VoiceChannel(),
    Channel.WEBHOOK.value: WebhookChannel(),
}
