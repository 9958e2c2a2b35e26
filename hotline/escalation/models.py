"""Escalation policies, running escalations, referrals, their event log and notification attempts.

A policy is a chain of steps per reason and urgency. When a case is escalated the
policy is copied into an `Escalation` (a running chain, `policy` as JSON) so later
edits do not change a chain that is running. The escalation row carries the chain's
durable deadline (`due_at` + `version`): the scheduler's tick claims due rows and
runs the next step. Each target notified at a step gets a `Referral`; each message
or call sent to it is a `NotificationAttempt` with the provider's id and delivery
status. `ReferralStep` is the append-only event log of the chain and its referrals.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from hotline.cases.models import Case
from hotline.clock import utcnow
from hotline.db import Base, code, intpk, short_text
from hotline.privacy import EncryptedJSON, EncryptedString


class Reason(StrEnum):
    """Why a case is escalated; picks the policy."""

    HOME_VISIT = "home_visit"
    LEGAL = "legal"
    PSYCHOLOGICAL = "psychological"
    MEDICAL = "medical"
    RESOURCES = "resources"
    CALLBACK = "callback"
    RISK = "risk"
    OTHER = "other"


class Urgency(StrEnum):
    """How fast a referral must be acknowledged; picks the policy and the channels."""

    NORMAL = "normal"
    URGENT = "urgent"
    EMERGENCY = "emergency"


class ReferralStatus(StrEnum):
    """A referral's state, as the API reports it."""

    PENDING = "pending"
    NOTIFIED = "notified"
    ACKNOWLEDGED = "acknowledged"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    DONE = "done"


OPEN_REFERRAL = (ReferralStatus.PENDING.value, ReferralStatus.NOTIFIED.value)
OWNED_REFERRAL = (ReferralStatus.ACKNOWLEDGED.value, ReferralStatus.ACCEPTED.value)


class EscalationStatus(StrEnum):
    """A chain's state: running until someone owns it or the policy runs out."""

    RUNNING = "running"
    ACKNOWLEDGED = "acknowledged"
    EXHAUSTED = "exhausted"
    CANCELLED = "cancelled"


class TargetKind(StrEnum):
    """Whom a policy step notifies."""

    AREA_STATION = "area_station"
    NEXT_STATION = "next_station"
    DISTRICT_CENTRE = "district_centre"
    EXPERT_ON_DUTY = "expert_on_duty"
    EXPERT_ANY = "expert_any"
    ORGANISATION = "organisation"
    VOLUNTEER = "volunteer"
    DUTY_TEAM = "duty_team"
    SUPERVISOR = "supervisor"
    MANAGER = "manager"


class Channel(StrEnum):
    """How a target is notified."""

    SMS = "sms"
    VOICE = "voice"
    WEBHOOK = "webhook"
    """In the urgency's list: any group chat robot. As an attempt's channel: a URL of no known robot."""
    WECOM = "wecom"
    DINGTALK = "dingtalk"
    FEISHU = "feishu"


ROBOT_CHANNELS = (Channel.WECOM.value, Channel.DINGTALK.value, Channel.FEISHU.value, Channel.WEBHOOK.value)


LABELS: dict[StrEnum, Any] = {
    Reason.HOME_VISIT: _l("Home visit needed"),
    Reason.LEGAL: _l("Legal question"),
    Reason.PSYCHOLOGICAL: _l("Psychological support"),
    Reason.MEDICAL: _l("Medical question"),
    Reason.RESOURCES: _l("Resources or charity help"),
    Reason.CALLBACK: _l("Call back the caller"),
    Reason.RISK: _l("High risk"),
    Reason.OTHER: _l("Other"),
    Urgency.NORMAL: _l("Normal"),
    Urgency.URGENT: _l("Urgent"),
    Urgency.EMERGENCY: _l("Emergency"),
    ReferralStatus.PENDING: _l("Pending"),
    ReferralStatus.NOTIFIED: _l("Notified"),
    ReferralStatus.ACKNOWLEDGED: _l("Acknowledged"),
    ReferralStatus.ACCEPTED: _l("Accepted"),
    ReferralStatus.DECLINED: _l("Declined"),
    ReferralStatus.EXPIRED: _l("Expired"),
    ReferralStatus.DONE: _l("Done"),
    EscalationStatus.RUNNING: _l("Running"),
    EscalationStatus.ACKNOWLEDGED: _l("Owned"),
    EscalationStatus.EXHAUSTED: _l("Nobody acknowledged"),
    EscalationStatus.CANCELLED: _l("Cancelled"),
    TargetKind.AREA_STATION: _l("Station covering the caller"),
    TargetKind.NEXT_STATION: _l("Next nearest station"),
    TargetKind.DISTRICT_CENTRE: _l("District centre"),
    TargetKind.EXPERT_ON_DUTY: _l("Expert on duty with the skill"),
    TargetKind.EXPERT_ANY: _l("Any expert with the skill"),
    TargetKind.ORGANISATION: _l("Organisation offering the service"),
    TargetKind.VOLUNTEER: _l("Community volunteers serving the area"),
    TargetKind.DUTY_TEAM: _l("Duty team"),
    TargetKind.SUPERVISOR: _l("Supervisor on call"),
    TargetKind.MANAGER: _l("Manager"),
    Channel.SMS: _l("SMS"),
    Channel.VOICE: _l("Voice call"),
    Channel.WEBHOOK: _l("Group chat robot"),
    Channel.WECOM: _l("WeCom group robot"),
    Channel.DINGTALK: _l("DingTalk robot"),
    Channel.FEISHU: _l("Feishu bot"),
}


EVENT_LABELS: dict[str, Any] = {
    "started": _l("Chain started"),
    "step": _l("Step reached"),
    "notified": _l("Notified"),
    "notify_failed": _l("Notification failed"),
    "unreachable": _l("Could not be reached"),
    "deferred": _l("Waiting for the next shift"),
    "skipped": _l("Step skipped: nobody to notify"),
}
"""Kinds of a chain's log entries that are not a referral's or a chain's state (those use LABELS)."""
VIA_LABELS: dict[str, Any] = {
    "sms": _l("by SMS reply"),
    "voice": _l("by keypress on the call"),
    "link": _l("on the responder page"),
    "board": _l("on the board"),
}
"""How a responder answered."""
ATTEMPT_LABELS: dict[str, Any] = {
    "queued": _l("Waiting to be sent"),
    "sent": _l("Sent"),
    "delivered": _l("Delivered"),
    "undelivered": _l("Not delivered"),
    "failed": _l("Failed"),
    "uncertain": _l("Not known whether sent"),
    "cancelled": _l("Cancelled"),
    "canceled": _l("Cancelled"),
    "initiated": _l("Dialling"),
    "ringing": _l("Ringing"),
    "in-progress": _l("On the call"),
    "answered": _l("Answered"),
    "completed": _l("Call ended"),
    "busy": _l("Busy"),
    "no-answer": _l("No answer"),
    "read": _l("Read"),
}
"""States of one notification (an SMS, a call, a robot message)."""


def escalation_label(value: StrEnum | str | None) -> str:
    """Return the UI label of one of this package's values."""
    if value is None:
        return ""
    for enum in (Reason, Urgency, ReferralStatus, EscalationStatus, TargetKind, Channel):
        try:
            member = enum(value)
        except ValueError:
            continue
        if member in LABELS:
            return str(LABELS[member])
    return str(EVENT_LABELS.get(value, value))


def via_label(value: str | None) -> str:
    """Return how a responder answered, in words."""
    return str(VIA_LABELS.get(value or "", value or ""))


def attempt_label(value: str | None) -> str:
    """Return the state of one notification, in words."""
    return str(ATTEMPT_LABELS.get(value or "", value or ""))


class EscalationPolicy(Base):
    """A chain of steps for a reason and an urgency, edited by managers."""

    __tablename__ = "escalation_policies"
    __table_args__ = (UniqueConstraint("reason", "urgency"),)

    id: Mapped[intpk]
    name: Mapped[short_text]
    reason: Mapped[code]
    urgency: Mapped[code]
    """normal, urgent, emergency, or "any"."""
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    steps: Mapped[list[PolicyStep]] = relationship(
        back_populates="policy", cascade="all, delete-orphan", order_by="PolicyStep.position"
    )

    def snapshot(self) -> dict[str, Any]:
        """Return the policy as JSON, to copy into an escalation."""
        return {
            "id": self.id,
            "name": self.name,
            "reason": self.reason,
            "urgency": self.urgency,
            "steps": [step.snapshot() for step in self.steps],
        }


class PolicyStep(Base):
    """Notify these targets, wait N minutes, optionally repeat, then go on."""

    __tablename__ = "policy_steps"
    __table_args__ = (UniqueConstraint("policy_id", "position"),)

    id: Mapped[intpk]
    policy_id: Mapped[int] = mapped_column(ForeignKey("escalation_policies.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    targets: Mapped[list[str]] = mapped_column(default=list)
    """TargetKind values."""
    skill: Mapped[str | None] = mapped_column(String(40))
    """For expert and organisation targets; empty means the escalation's skill."""
    wait_minutes: Mapped[int] = mapped_column(Integer, default=30)
    repeat: Mapped[int] = mapped_column(Integer, default=0)
    """How many times to notify the same targets again before going on."""
    urgency: Mapped[str | None] = mapped_column(String(20))
    """Overrides the escalation's urgency for picking channels."""

    policy: Mapped[EscalationPolicy] = relationship(back_populates="steps")

    def snapshot(self) -> dict[str, Any]:
        """Return the step as JSON."""
        return {
            "targets": list(self.targets),
            "skill": self.skill,
            "wait_minutes": self.wait_minutes,
            "repeat": self.repeat,
            "urgency": self.urgency,
        }


class Escalation(Base):
    """A running chain: the policy copied in, the current step and the durable deadline."""

    __tablename__ = "escalations"
    __table_args__ = (Index("ix_escalations_status_due_at", "status", "due_at"),)

    id: Mapped[intpk]
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"), index=True)
    trigger: Mapped[code]
    """worker, risk, missed, abandoned, voicemail, callback-requested."""
    reason: Mapped[code]
    urgency: Mapped[code]
    skill: Mapped[str | None] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(EncryptedString())
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    policy_id: Mapped[int | None] = mapped_column(ForeignKey("escalation_policies.id", ondelete="SET NULL"))
    policy: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[code] = mapped_column(default=EscalationStatus.RUNNING.value)
    step_index: Mapped[int] = mapped_column(Integer, default=-1)
    repeat_index: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=0)
    consent_override: Mapped[bool] = mapped_column(Boolean, default=False)
    override_reason: Mapped[str | None] = mapped_column(EncryptedString())
    override_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]

    case: Mapped[Case | None] = relationship()
    referrals: Mapped[list[Referral]] = relationship(back_populates="escalation", order_by="Referral.id")
    events: Mapped[list[ReferralStep]] = relationship(back_populates="escalation", order_by="ReferralStep.id")

    @property
    def shares_personal_details(self) -> bool:
        """Return whether the caller's name and number may go to the targets."""
        return bool(self.consent_override or (self.case is not None and self.case.consent_share))


class Referral(Base):
    """A request to one target to take over part of a case, chased until acknowledged."""

    __tablename__ = "referrals"
    __table_args__ = (
        Index("ix_referrals_status_due_at", "status", "due_at"),
        UniqueConstraint("escalation_id", "step_number", "target_kind", "target_id"),
    )

    id: Mapped[intpk]
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    escalation_id: Mapped[int | None] = mapped_column(ForeignKey("escalations.id"), index=True)
    step_number: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[code]
    urgency: Mapped[code] = mapped_column(default="normal")
    status: Mapped[code] = mapped_column(default="pending")
    target_kind: Mapped[str] = mapped_column(String(20), default="station")
    """station, expert, organisation, volunteer or user."""
    target_id: Mapped[int] = mapped_column(Integer, default=0)
    target_name: Mapped[str | None] = mapped_column(String(200))
    target_phone: Mapped[str | None] = mapped_column(EncryptedString())
    station_id: Mapped[int | None] = mapped_column(ForeignKey("stations.id"), index=True)
    expert_id: Mapped[int | None] = mapped_column(ForeignKey("expert_volunteers.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteers.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    note: Mapped[str | None] = mapped_column(EncryptedString())
    due_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(40))
    outcome_note: Mapped[str | None] = mapped_column(EncryptedString())

    case: Mapped[Case | None] = relationship()
    escalation: Mapped[Escalation | None] = relationship(back_populates="referrals")
    attempts: Mapped[list[NotificationAttempt]] = relationship(
        back_populates="referral", order_by="NotificationAttempt.id"
    )

    @property
    def number(self) -> int:
        """Return the number people see for this referral: its escalation's, shared by every target of the chain."""
        return self.escalation_id or self.id


class ReferralStep(Base):
    """One event of a chain or a referral; never updated, never deleted."""

    __tablename__ = "referral_steps"
    __table_args__ = (UniqueConstraint("escalation_id", "dedupe_key"),)

    id: Mapped[intpk]
    escalation_id: Mapped[int] = mapped_column(ForeignKey("escalations.id"), index=True)
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referrals.id"), index=True)
    kind: Mapped[code]
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    dedupe_key: Mapped[str | None] = mapped_column(String(60))
    """Set on step runs ("step:2:0"): the database refuses a step that runs twice."""
    detail: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON(), default=dict)
    """Who, why, via which channel, and the responder's note: encrypted, as notes may name people."""

    escalation: Mapped[Escalation] = relationship(back_populates="events")


class NotificationAttempt(Base):
    """One SMS, voice call or webhook post to a referral's target."""

    __tablename__ = "notification_attempts"
    __table_args__ = (Index("ix_notification_attempts_status", "status"),)

    id: Mapped[intpk]
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"), index=True)
    channel: Mapped[code]
    destination: Mapped[str] = mapped_column(EncryptedString())
    body: Mapped[str | None] = mapped_column(EncryptedString())
    two_way: Mapped[bool] = mapped_column(Boolean, default=True)
    """False where replies and links are not allowed (SMS to mainland China through Twilio)."""
    status: Mapped[code] = mapped_column(default="queued")
    """queued, sending, sent, delivered, undelivered, failed, uncertain (may have been delivered: never resent),
    cancelled, ringing, in-progress, completed, busy, no-answer."""
    provider_id: Mapped[str | None] = mapped_column(String(64), index=True)
    error: Mapped[str | None] = mapped_column(String(300))
    last_sequence: Mapped[int] = mapped_column(Integer, default=-1)
    tries: Mapped[int] = mapped_column(Integer, default=0)
    retry_at: Mapped[datetime | None]
    """When a queued attempt that failed in a way worth retrying (a rate limit) is tried again."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    updated_at: Mapped[datetime | None]

    referral: Mapped[Referral] = relationship(back_populates="attempts")


class ResponderReplyCode(Base):
    """The code a responder sends back by SMS: `1 <code>` accepts, `2 <code>` declines."""

    __tablename__ = "responder_reply_codes"

    id: Mapped[intpk]
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"), unique=True)
    code: Mapped[str] = mapped_column(String(12), index=True)
    phone: Mapped[str | None] = mapped_column(EncryptedString())
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class SmsReply(Base):
    """An inbound SMS reply handled once per MessageSid, with the answer given."""

    __tablename__ = "sms_replies"

    id: Mapped[intpk]
    message_sid: Mapped[str] = mapped_column(String(64), unique=True)
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referrals.id"))
    result: Mapped[code]
    reply: Mapped[str] = mapped_column(EncryptedString())
    at: Mapped[datetime] = mapped_column(default=utcnow)


ENDED_REFERRAL = (ReferralStatus.DONE.value, ReferralStatus.DECLINED.value, ReferralStatus.EXPIRED.value)


def referral_ended(referral: Referral) -> bool:
    """Return whether a referral is over: done, declined or expired, its chain cancelled, or its case closed."""
    if referral.status in ENDED_REFERRAL or referral.closed_at is not None:
        return True
    escalation = referral.escalation
    if escalation is not None and escalation.status == EscalationStatus.CANCELLED.value:
        return True
    return referral.case is not None and referral.case.status == "closed"


def lock_escalation(session: Session, escalation_id: int) -> Escalation | None:
    """Lock a chain's row for this transaction and return it fresh.

    PostgreSQL: SELECT … FOR UPDATE. SQLite has one writer at a time, so a write
    as the transaction's first statement holds every other writer off until commit.
    """
    if session.get_bind().dialect.name == "postgresql":
        return session.scalar(
            select(Escalation)
            .where(Escalation.id == escalation_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    # End any read-only snapshot first: a write from a stale snapshot fails at once instead of
    # waiting for the other writer (SQLITE_BUSY_SNAPSHOT). Callers lock before changing anything.
    session.commit()
    session.execute(update(Escalation).where(Escalation.id == escalation_id).values(version=Escalation.version))
    return session.get(Escalation, escalation_id, populate_existing=True)


def log_event(
    session: Session,
    escalation: Escalation,
    kind: str,
    at: datetime,
    *,
    referral: Referral | None = None,
    actor_id: int | None = None,
    dedupe_key: str | None = None,
    **detail: Any,
) -> ReferralStep:
    """Append an event to a chain's log."""
    event = ReferralStep(
        escalation_id=escalation.id,
        referral_id=referral.id if referral is not None else None,
        kind=kind,
        at=at,
        actor_id=actor_id,
        dedupe_key=dedupe_key,
        detail=detail,
    )
    session.add(event)
    return event
