"""Calls, their append-only event timeline, the caller's answer to the post-call question, recorded prompts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.clock import utcnow
from hotline.db import Base, code, intpk
from hotline.privacy import LOOKUP_HASH, EncryptedString


class Call(Base):
    """One phone call, created once per Twilio CallSid."""

    __tablename__ = "calls"
    __table_args__ = (
        Index("ix_calls_status_priority", "status", "priority"),
        Index("ix_calls_created_at", "created_at"),
    )

    id: Mapped[intpk]
    call_sid: Mapped[str] = mapped_column(String(64), unique=True)
    direction: Mapped[code] = mapped_column(default="inbound")
    from_number: Mapped[str | None] = mapped_column(EncryptedString(), info={"lookup_hash": "from_hash"})
    """The caller's number in E.164, encrypted; None when withheld."""
    from_hash: Mapped[str | None] = mapped_column(LOOKUP_HASH, index=True)
    caller_city: Mapped[str | None] = mapped_column(String(100))
    to_number: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[code] = mapped_column(default="ringing")
    outcome: Mapped[str | None] = mapped_column(String(40))
    service: Mapped[str | None] = mapped_column(String(40))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    """Higher is more urgent; crisis calls jump the queue."""
    queued_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    last_sequence: Mapped[int] = mapped_column(Integer, default=-1)
    ivr_attempts: Mapped[int] = mapped_column(Integer, default=0)
    """How many times the menu was played without a valid choice."""
    dial_attempts: Mapped[int] = mapped_column(Integer, default=0)
    """How many times a worker was dialled for this call."""
    closed_reason: Mapped[str | None] = mapped_column(String(40))
    """Why the line was closed when the call came in: hours, holiday or closure."""
    recording_sid: Mapped[str | None] = mapped_column(String(64))
    recording_url: Mapped[str | None] = mapped_column(String(500))
    recording_seconds: Mapped[int | None] = mapped_column(Integer)
    duration_seconds: Mapped[int | None] = mapped_column(Integer)
    """The call's length as Twilio reported it (CallDuration) when it completed."""
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    events: Mapped[list[CallEvent]] = relationship(
        back_populates="call", order_by="CallEvent.id", cascade="all, delete-orphan"
    )

    @property
    def wait_seconds(self) -> float | None:
        """Return how long the caller waited in the queue."""
        if self.queued_at is None:
            return None
        end = self.answered_at or self.ended_at
        return None if end is None else max(0.0, (end - self.queued_at).total_seconds())


class CallEvent(Base):
    """One step in a call's timeline; never updated, never deleted."""

    __tablename__ = "call_events"
    __table_args__ = (UniqueConstraint("call_id", "dedupe_key"),)

    id: Mapped[intpk]
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    kind: Mapped[code]
    at: Mapped[datetime] = mapped_column(default=utcnow)
    dedupe_key: Mapped[str | None] = mapped_column(String(120))
    """Set for events that may be delivered twice (a status callback's sequence number)."""
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)

    call: Mapped[Call] = relationship(back_populates="events")


class TelephonyCommand(Base):
    """A REST request to the phone network, queued so no webhook ever waits for it (the outbox).

    Commands are sent right after the commit that queued them, by a small thread
    pool; the scheduler retries the ones that failed. Redirects and hang-ups are
    safe to repeat; an SMS or a new call is attempted once and, when its fate is
    unknown (a timeout), marked `uncertain` for a person to check, never resent blindly.
    """

    __tablename__ = "telephony_commands"
    __table_args__ = (Index("ix_telephony_commands_status_due_at", "status", "due_at"),)

    id: Mapped[intpk]
    kind: Mapped[code]
    """redirect_call, hang_up, send_sms or place_call."""
    call_sid: Mapped[str | None] = mapped_column(String(64), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[code] = mapped_column(default="pending")
    """pending, sending, done, failed (given up), uncertain (may have happened)."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime] = mapped_column(default=utcnow)
    result: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)


class SimulatedMessage(Base):
    """A line of the simulator's text channel between a simulated caller and the worker (kind chat).

    The SMS and calls the app sends on the simulated line are kept by the simulator's
    gateway, not here; rows of kind sms or call are from before the gateway.
    """

    __tablename__ = "simulated_messages"

    id: Mapped[intpk]
    kind: Mapped[code]
    """chat (sms and call in rows written before the gateway)."""
    sid: Mapped[str | None] = mapped_column(String(64))
    call_sid: Mapped[str | None] = mapped_column(String(64), index=True)
    to_address: Mapped[str | None] = mapped_column(EncryptedString())
    sender: Mapped[str | None] = mapped_column(String(60))
    body: Mapped[str] = mapped_column(EncryptedString(), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class CallSatisfaction(Base):
    """The caller's answer to the optional post-call question (press 1-5)."""

    __tablename__ = "call_satisfaction"

    id: Mapped[intpk]
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), unique=True)
    score: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PromptRecording(Base):
    """A prompt of the line recorded by the station: the audio callers hear in place of its spoken text.

    `content` is the line's WAV (8 kHz, mono, 16-bit), converted once at upload;
    `version` (a digest of it) is in the signed URL and in the `telephony.recordings`
    setting, so a replaced recording is never served under the old one's URL.
    """

    __tablename__ = "prompt_recordings"

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(40), unique=True)
    version: Mapped[str] = mapped_column(String(32))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    seconds: Mapped[float] = mapped_column(Float)
    source_type: Mapped[str] = mapped_column(String(40))
    """What was uploaded: audio/wav or audio/mpeg."""
    source_name: Mapped[str] = mapped_column(String(200))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
