"""Cases: what a call (or several) was about and what became of it."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.clock import utcnow
from hotline.db import Base, code, intpk
from hotline.privacy import LOOKUP_HASH, EncryptedJSON, EncryptedString

if TYPE_CHECKING:
    from hotline.accounts.models import User
    from hotline.directory.models import Area
    from hotline.telephony.models import Call


class Case(Base):
    """A caller's matter, opened at intake and closed once its outcome is confirmed."""

    __tablename__ = "cases"
    __table_args__ = (Index("ix_cases_status_created_at", "status", "created_at"),)

    id: Mapped[intpk]
    reference: Mapped[str] = mapped_column(String(30), unique=True)
    status: Mapped[code] = mapped_column(default="open")
    caller_name: Mapped[str | None] = mapped_column(EncryptedString(name=True))
    caller_phone: Mapped[str | None] = mapped_column(EncryptedString(), info={"lookup_hash": "caller_phone_hash"})
    caller_phone_hash: Mapped[str | None] = mapped_column(LOOKUP_HASH, index=True)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    services: Mapped[list[str]] = mapped_column(default=list)
    target_groups: Mapped[list[str]] = mapped_column(default=list)
    risk: Mapped[code] = mapped_column(default="none")
    summary: Mapped[str | None] = mapped_column(EncryptedString())
    outcome: Mapped[str | None] = mapped_column(String(40))
    consent_callback: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_share: Mapped[bool] = mapped_column(Boolean, default=False)
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    closed_at: Mapped[datetime | None]
    gender: Mapped[str | None] = mapped_column(String(20))
    age_group: Mapped[str | None] = mapped_column(String(20))
    actions_taken: Mapped[str | None] = mapped_column(EncryptedString())
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    """Set on a duplicate merged into another case; the duplicate stays, closed, for the record."""
    confirmed_outcome: Mapped[str | None] = mapped_column(String(40))
    """How the matter ended, confirmed before closing: solved, partly-solved, not-solved, unreachable, declined."""
    confirmed_at: Mapped[datetime | None]
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    caller_anonymised_at: Mapped[datetime | None]

    calls: Mapped[list[Call]] = relationship(order_by="Call.created_at", viewonly=True)
    area: Mapped[Area | None] = relationship()
    assigned_to: Mapped[User | None] = relationship(foreign_keys=[assigned_to_id])


class IntakeVersion(Base):
    """One saved intake: the form as the worker saved it (personal fields left out), never rewritten."""

    __tablename__ = "intake_versions"
    __table_args__ = (Index("ix_intake_versions_call_id_current", "call_id", "current"),)

    id: Mapped[intpk]
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"))
    number: Mapped[int] = mapped_column(Integer, default=1)
    """1 for a case's first intake, then 2, 3…"""
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    call_type: Mapped[code] = mapped_column(default="content")
    risk: Mapped[code] = mapped_column(default="none")
    outcome: Mapped[str | None] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON(), default=dict)
    current: Mapped[bool] = mapped_column(Boolean, default=True)
    """True on the latest intake saved for its call (what the figures count)."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    worker: Mapped[User | None] = relationship()


class IntakeDraft(Base):
    """What a worker has typed so far for a call, so a reload loses nothing (encrypted)."""

    __tablename__ = "intake_drafts"
    __table_args__ = (UniqueConstraint("worker_id", "call_id"),)

    id: Mapped[intpk]
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    data: Mapped[str] = mapped_column(EncryptedString())
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class CaseNote(Base):
    """A worker's note on a case."""

    __tablename__ = "case_notes"

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(EncryptedString())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User | None] = relationship()


class CaseEvent(Base):
    """One change to a case (status, assignment, merge, closing); append-only."""

    __tablename__ = "case_events"

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[code]
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)

    actor: Mapped[User | None] = relationship()


class FollowUp(Base):
    """A scheduled callback or return call with a time and an assignee; claimed by the scheduler when due."""

    __tablename__ = "follow_ups"
    __table_args__ = (Index("ix_follow_ups_status_due_at", "status", "due_at"),)

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[code] = mapped_column(default="callback")
    """callback (a scheduled call back) or return_call (回访: was the problem solved?)."""
    due_at: Mapped[datetime]
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[code] = mapped_column(default="pending")
    """pending, done or cancelled."""
    note: Mapped[str | None] = mapped_column(EncryptedString())
    notified_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(40))
    outcome_note: Mapped[str | None] = mapped_column(EncryptedString())
    version: Mapped[int] = mapped_column(Integer, default=0)

    case: Mapped[Case] = relationship()
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])


class ReturnCall(Base):
    """A return call (回访) to a caller who agreed to it: solved or not, and how satisfied (1-5)."""

    __tablename__ = "return_calls"

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    follow_up_id: Mapped[int | None] = mapped_column(ForeignKey("follow_ups.id"))
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    reached: Mapped[bool] = mapped_column(Boolean, default=True)
    problem_solved: Mapped[str | None] = mapped_column(String(20))
    """yes, partly or no; None when the caller was not reached."""
    satisfaction: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(EncryptedString())

    worker: Mapped[User | None] = relationship()


class SubjectRequest(Base):
    """A caller's request about their personal data (PIPL), served by a supervisor: who asked, what, when, by whom.

    Kinds: access (what is held was looked up and told), export (a copy was handed over),
    erase (what could be erased was). The number is kept masked only.
    """

    __tablename__ = "subject_requests"

    id: Mapped[intpk]
    kind: Mapped[code]
    subject: Mapped[str] = mapped_column(String(20))
    """The caller's number, masked (138****5678)."""
    requested_by: Mapped[str] = mapped_column(EncryptedString())
    """Who asked: the caller, or who for them (a guardian, a lawyer), as the supervisor wrote it."""
    requested_at: Mapped[datetime]
    served_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    served_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """What was found, handed over or erased (counts, references kept and why)."""

    served_by: Mapped[User | None] = relationship()
