"""Presence, routing entries, offers and transfers: the router's whole state lives in these rows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.accounts.models import User
from hotline.clock import utcnow
from hotline.db import Base, code, intpk


class WorkerPresence(Base):
    """A worker's state in the console: available, busy, wrap_up, break or offline."""

    __tablename__ = "worker_presence"
    __table_args__ = (Index("ix_worker_presence_state", "state"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[code] = mapped_column(default="offline")
    state_since: Mapped[datetime] = mapped_column(default=utcnow)
    reason: Mapped[str | None] = mapped_column(String(40))
    """Why the state last changed when the worker did not choose it (missed_offer, console_lost, supervisor…)."""
    idle_since: Mapped[datetime | None]
    """When the worker last became free for a call: the router offers to the longest idle first."""
    offered_call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id", ondelete="SET NULL"))
    """The call ringing in the worker's console, if any (one offer at a time)."""
    current_call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id", ondelete="SET NULL"))
    wrap_up_until: Mapped[datetime | None]
    last_seen_at: Mapped[datetime | None]
    """The console's last sign of life; past the grace period the worker goes offline."""
    connect_via: Mapped[code] = mapped_column(default="browser")
    """browser (the softphone) or phone (the worker's own number)."""
    version: Mapped[int] = mapped_column(Integer, default=1)

    user: Mapped[User] = relationship()


class RoutingEntry(Base):
    """A call the router is placing: waiting, offered, accepted or ended."""

    __tablename__ = "routing_entries"
    __table_args__ = (
        Index("ix_routing_entries_status_due_at", "status", "due_at"),
        Index("ix_routing_entries_status_priority", "status", "priority"),
    )

    id: Mapped[intpk]
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), unique=True)
    status: Mapped[code] = mapped_column(default="waiting")
    priority: Mapped[int] = mapped_column(Integer, default=0)
    service: Mapped[str | None] = mapped_column(String(40))
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime | None]
    """When the ringing offers of this round run out."""
    round: Mapped[int] = mapped_column(Integer, default=0)
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    """The worker who won the accept."""
    tried_worker_ids: Mapped[list[int]] = mapped_column(default=list)
    """Workers who declined or missed the call in this cycle; they are offered it last."""
    transfer_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    """A cold transfer's target: only this worker is offered the call until they answer or decline."""
    transfer_from_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Offer(Base):
    """A call ringing in one worker's console; accepted, declined, missed or withdrawn."""

    __tablename__ = "call_offers"
    __table_args__ = (Index("ix_call_offers_worker_id_status", "worker_id", "status"),)

    id: Mapped[intpk]
    entry_id: Mapped[int] = mapped_column(ForeignKey("routing_entries.id", ondelete="CASCADE"), index=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    round: Mapped[int] = mapped_column(Integer)
    entry_version: Mapped[int] = mapped_column(Integer)
    """The entry's version when offered: an accept succeeds only while it is unchanged."""
    kind: Mapped[code] = mapped_column(default="queue")
    """queue, or transfer (a cold transfer from another worker)."""
    status: Mapped[code] = mapped_column(default="ringing")
    offered_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime]
    responded_at: Mapped[datetime | None]

    worker: Mapped[User] = relationship()


class CallTransfer(Base):
    """One transfer of a call, with the legs the phone network created for it."""

    __tablename__ = "call_transfers"

    id: Mapped[intpk]
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    kind: Mapped[code]
    """warm (conference with an expert volunteer) or cold (handed to another duty worker)."""
    status: Mapped[code] = mapped_column(default="started")
    """started, worker_left, taken, failed."""
    from_worker_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    to_worker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    expert_id: Mapped[int | None] = mapped_column(ForeignKey("expert_volunteers.id"))
    conference: Mapped[str | None] = mapped_column(String(80))
    worker_leg_sid: Mapped[str | None] = mapped_column(String(64))
    expert_leg_sid: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CallLeg(Base):
    """One leg in a call's conference (caller, worker, expert, supervisor), as the conference reports it.

    `muted` and `hold` are what the worker asked for; the line applies them when the leg joins
    and reports each change back (conference status callbacks).
    """

    __tablename__ = "call_legs"

    id: Mapped[intpk]
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    call_sid: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[code]
    """caller, worker, expert or supervisor."""
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    expert_id: Mapped[int | None] = mapped_column(ForeignKey("expert_volunteers.id"))
    status: Mapped[code] = mapped_column(default="connecting")
    """connecting, joined or left."""
    muted: Mapped[bool] = mapped_column(default=False)
    hold: Mapped[bool] = mapped_column(default=False)
    sequence: Mapped[int] = mapped_column(default=-1)
    """The conference callback's SequenceNumber last applied (older ones are ignored)."""
    joined_at: Mapped[datetime | None]
    left_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
