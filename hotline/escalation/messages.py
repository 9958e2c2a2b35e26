"""The managers' list of sent and failed messages: template SMS (every kind) and the escalations' SMS and robot posts.

Two tables hold them: `sms_messages` (the Alibaba/Tencent outbox, every kind the
project sends) and `notification_attempts` (an escalation's SMS through the phone
line and its posts to WeCom, DingTalk and Feishu robots). An SMS attempt sent through
a template provider is in both (its message's origin is `attempt:<id>`); it is
listed once, as the message. Numbers are shown masked; the provider's error as
it came back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import String, cast, exists, func, literal, select, union_all
from sqlalchemy.orm import Session, selectinload

from hotline.cases.casework import local_day_start
from hotline.escalation.models import ROBOT_CHANNELS, Channel, NotificationAttempt
from hotline.escalation.providers import read_robot_destination
from hotline.privacy import mask_phone
from hotline.sms.models import SmsMessage

PAGE_SIZE = 50
STATES: dict[str, tuple[str, ...]] = {
    "waiting": ("pending", "queued", "sending"),
    "sent": ("sent", "ringing", "in-progress"),
    "delivered": ("delivered", "completed"),
    "failed": ("failed", "undelivered", "busy", "no-answer"),
    "uncertain": ("uncertain",),
    "cancelled": ("cancelled", "canceled"),
}
"""A filter's state → the statuses either table stores for it."""
STATE_OF = {status: state for state, statuses in STATES.items() for status in statuses}
ESCALATION_KIND = "escalation_request"
"""The kind an escalation's phone-line SMS or robot post is listed under (robots carry the request and reminders)."""


@dataclass
class MessageFilter:
    """What the list shows: channel ("sms", "robot" or None), state (a key of STATES), kind, local dates, page."""

    channel: str | None = None
    state: str | None = None
    kind: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    page: int = 1


@dataclass
class MessageRow:
    """One message as the list shows it (the number masked)."""

    source: str
    """sms (the template outbox) or attempt (an escalation's notification)."""
    id: int
    at: datetime
    channel: str
    """alibaba, tencent, sms (the phone line), wecom, dingtalk, feishu, webhook."""
    kind: str
    status: str
    state: str
    error: str | None
    to: str
    referral_number: int | None = None
    """The number the referral is known by (its escalation's, see Referral.number)."""


@dataclass
class MessagePage:
    """A page of the list, newest first."""

    rows: list[MessageRow] = field(default_factory=list)
    total: int = 0
    page: int = 1
    pages: int = 1


def _listed(criteria: MessageFilter) -> Any:
    """Return the union of both tables' rows the filter keeps: (source, id, at, kind, status)."""
    sms = select(
        literal("sms").label("source"),
        SmsMessage.id.label("id"),
        SmsMessage.created_at.label("at"),
        SmsMessage.kind.label("kind"),
        SmsMessage.status.label("status"),
    )
    templated = exists().where(SmsMessage.origin == literal("attempt:") + cast(NotificationAttempt.id, String))
    attempts = select(
        literal("attempt").label("source"),
        NotificationAttempt.id.label("id"),
        NotificationAttempt.created_at.label("at"),
        literal(ESCALATION_KIND).label("kind"),
        NotificationAttempt.status.label("status"),
    ).where(
        (NotificationAttempt.channel.in_(ROBOT_CHANNELS))
        | ((NotificationAttempt.channel == Channel.SMS.value) & ~templated)
    )
    parts = {"sms": sms, "attempt": attempts}
    if criteria.channel == "robot":
        parts = {"attempt": attempts.where(NotificationAttempt.channel.in_(ROBOT_CHANNELS))}
    elif criteria.channel == "sms":
        parts = {"sms": sms, "attempt": attempts.where(NotificationAttempt.channel == Channel.SMS.value)}
    listed = union_all(*parts.values()).subquery()
    query = select(listed.c.source, listed.c.id, listed.c.at)
    if criteria.state in STATES:
        query = query.where(listed.c.status.in_(STATES[criteria.state]))
    if criteria.kind:
        query = query.where(listed.c.kind == criteria.kind)
    if criteria.date_from:
        query = query.where(listed.c.at >= local_day_start(criteria.date_from))
    if criteria.date_to:
        query = query.where(listed.c.at < local_day_start(criteria.date_to + timedelta(days=1)))
    return query


def _sms_row(message: SmsMessage) -> MessageRow:
    return MessageRow(
        "sms",
        message.id,
        message.created_at,
        message.provider,
        message.kind,
        message.status,
        STATE_OF.get(message.status, message.status),
        message.error,
        mask_phone(message.to),
    )


def _attempt_row(attempt: NotificationAttempt) -> MessageRow:
    if attempt.channel == Channel.SMS.value:
        to = mask_phone(attempt.destination)
    else:
        _robot, mention = read_robot_destination(attempt.destination)
        to = " ".join(["@" + mask_phone(number) for number in mention]) or "—"
    return MessageRow(
        "attempt",
        attempt.id,
        attempt.created_at,
        attempt.channel,
        ESCALATION_KIND,
        attempt.status,
        STATE_OF.get(attempt.status, attempt.status),
        attempt.error,
        to,
        attempt.referral.number if attempt.referral is not None else None,
    )


def list_messages(session: Session, criteria: MessageFilter) -> MessagePage:
    """Return a page of sent, failed and waiting messages matching the filter, newest first."""
    query = _listed(criteria)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, criteria.page), pages)
    keys = session.execute(
        query.order_by(query.selected_columns.at.desc(), query.selected_columns.id.desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    wanted = {source: [key.id for key in keys if key.source == source] for source in ("sms", "attempt")}
    found: dict[tuple[str, int], MessageRow] = {}
    for message in session.scalars(select(SmsMessage).where(SmsMessage.id.in_(wanted["sms"] or [0]))):
        found["sms", message.id] = _sms_row(message)
    for attempt in session.scalars(
        select(NotificationAttempt)
        .where(NotificationAttempt.id.in_(wanted["attempt"] or [0]))
        .options(selectinload(NotificationAttempt.referral))
    ):
        found["attempt", attempt.id] = _attempt_row(attempt)
    return MessagePage([found[key.source, key.id] for key in keys], total, page, pages)
