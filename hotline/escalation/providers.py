"""Notification channels: the outside world a referral reaches (SMS, a voice call, a group chat robot).

Each channel takes a stored `NotificationAttempt` and returns the provider's id,
or raises `ChannelError` (with `retry_after` when trying again later may work,
`uncertain` when the message may have gone out: it is never resent). SMS and
voice go through the telephony provider (Twilio or the simulator); the robot
channels (WeCom, DingTalk, Feishu, and `webhook` for another URL) post through
`hotline.robots`, each with its own payload, signature and rate limit.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Protocol

from flask import current_app
from sqlalchemy.orm import object_session

from hotline.clock import utcnow
from hotline.escalation import template_sms
from hotline.escalation.models import Channel, NotificationAttempt
from hotline.robots import services as robots
from hotline.robots.clients import Message, Robot, RobotError, kind_of_url
from hotline.sms.exceptions import SmsError
from hotline.sms.services import template_provider
from hotline.telephony.providers import TelephonyError, TelephonyProvider


class ChannelError(Exception):
    """The channel could not deliver the notification."""

    def __init__(self, message: str, *, retry_after: float | None = None, uncertain: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.uncertain = uncertain


class NotificationChannel(Protocol):
    """Something that delivers one attempt and returns the provider's id."""

    def send(self, attempt: NotificationAttempt, provider: TelephonyProvider, now: datetime | None = None) -> str:
        """Deliver the attempt."""


def public_url(path: str) -> str:
    """Return an absolute URL on this site, as Twilio and responders reach it."""
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


def status_callback_url(attempt: NotificationAttempt) -> str:
    """Return where Twilio reports the attempt's delivery status."""
    return public_url(f"/twilio/escalation/status/{attempt.id}")


class SmsChannel:
    """An SMS through the installation's template provider (Alibaba, Tencent), else the telephony provider."""

    def send(self, attempt: NotificationAttempt, provider: TelephonyProvider, now: datetime | None = None) -> str:
        """Send the SMS."""
        session = object_session(attempt)
        if session is not None and template_provider(session):
            return self.send_template(session, attempt, now or utcnow())
        try:
            return provider.send_sms(attempt.destination, attempt.body or "", status_callback_url(attempt))
        except TelephonyError as exc:
            raise ChannelError(str(exc)) from exc

    def send_template(self, session: Any, attempt: NotificationAttempt, now: datetime) -> str:
        """Send through the template provider: throttling may be retried, a server error or timeout never."""
        try:
            message = template_sms.send_attempt(session, attempt, now)
        except SmsError as exc:
            raise ChannelError(f"no SMS template: {exc}") from exc
        if message.status == "sent":
            return message.provider_message_id or ""
        if message.status == "pending":
            raise ChannelError(message.error or "throttled", retry_after=(message.due_at - now).total_seconds())
        raise ChannelError(message.error or message.status, uncertain=message.status in ("uncertain", "sending"))


class VoiceChannel:
    """A voice call that reads the request and takes the answer by keypress."""

    def send(self, attempt: NotificationAttempt, provider: TelephonyProvider, now: datetime | None = None) -> str:
        """Place the call; Twilio fetches the TwiML from our webhook."""
        try:
            return provider.place_call(
                attempt.destination, public_url(f"/twilio/escalation/voice/{attempt.id}"), status_callback_url(attempt)
            )
        except TelephonyError as exc:
            raise ChannelError(str(exc)) from exc


def robot_destination(robot: Robot, mention: tuple[str, ...] = ()) -> str:
    """Return what a robot attempt stores as its (encrypted) destination: the robot and whom to @-mention."""
    return json.dumps(
        {"kind": robot.kind, "url": robot.url, "secret": robot.secret, "mention": list(mention)}, ensure_ascii=False
    )


def read_robot_destination(destination: str) -> tuple[Robot, tuple[str, ...]]:
    """Return the robot and the mobiles to mention from a stored destination (a bare URL: a generic webhook)."""
    try:
        data: Any = json.loads(destination)
    except ValueError:
        data = None
    if not isinstance(data, dict):  # an attempt stored before the robots had their own channels
        return Robot(kind_of_url(destination) or Channel.WEBHOOK.value, destination), ()
    return Robot(data["kind"], data["url"], data.get("secret")), tuple(data.get("mention") or ())


class RobotChannel:
    """A post to a group chat robot, within the robot's rate limit; its answer's code decides success."""

    def send(self, attempt: NotificationAttempt, provider: TelephonyProvider, now: datetime | None = None) -> str:
        """Post the message."""
        robot, mention = read_robot_destination(attempt.destination)
        session = object_session(attempt)
        assert session is not None
        try:
            return robots.post(session, robot, Message(attempt.body or "", mention=mention), now or utcnow())
        except RobotError as exc:
            raise ChannelError(str(exc), retry_after=exc.retry_after, uncertain=exc.uncertain) from exc


CHANNELS: dict[str, NotificationChannel] = {
    Channel.SMS.value: SmsChannel(),
    Channel.VOICE.value: VoiceChannel(),
    Channel.WEBHOOK.value: RobotChannel(),
    Channel.WECOM.value: RobotChannel(),
    Channel.DINGTALK.value: RobotChannel(),
    Channel.FEISHU.value: RobotChannel(),
}
