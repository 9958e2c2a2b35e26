"""Callback tasks (a caller to ring back) and the attempts to reach them.

A task is opened for every voicemail, callback request and missed call (abandoned
in the queue, or out of hours with a number), and by other packages for their own
kinds (a return call, 回访). It has a deadline (`due_at`), a risk taken from the
caller's last case, an owner once a worker takes it, and the time of the next
attempt on the manager's retry schedule. Each dial is a `CallbackAttempt` with its
outcome; `CallbackEvent` is the task's append-only log. The number is encrypted
and looked up by its keyed hash, like every caller number.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from hotline.accounts.models import User
from hotline.clock import utcnow
from hotline.db import Base, code, intpk
from hotline.privacy import LOOKUP_HASH, EncryptedString
from hotline.telephony.models import Call


class TaskKind(StrEnum):
    """Why a caller is to be called back."""

    MISSED = "missed"
    """The maximum wait was reached and the caller was offered nothing else."""
    ABANDONED = "abandoned"
    """The caller hung up in the queue."""
    VOICEMAIL = "voicemail"
    CALLBACK_REQUESTED = "callback-requested"
    RETURN_CALL = "return-call"
    """A return call (回访) after a referral or a work order."""


class TaskStatus(StrEnum):
    """A task's state: open (nobody owns it), owned, closed."""

    OPEN = "open"
    OWNED = "owned"
    CLOSED = "closed"


class AttemptOutcome(StrEnum):
    """What a dial to the caller came to."""

    REACHED = "reached"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    WRONG_NUMBER = "wrong_number"


OPEN_STATUSES = (TaskStatus.OPEN.value, TaskStatus.OWNED.value)


class CallbackTask(Base):
    """A caller to ring back by a deadline."""

    __tablename__ = "callback_tasks"
    __table_args__ = (Index("ix_callback_tasks_status_due_at", "status", "due_at"),)

    id: Mapped[intpk]
    kind: Mapped[code]
    status: Mapped[code] = mapped_column(default=TaskStatus.OPEN.value)
    phone: Mapped[str | None] = mapped_column(EncryptedString(), info={"lookup_hash": "phone_hash"})
    """The number to call in E.164, encrypted; None when a voicemail came from a withheld number."""
    phone_hash: Mapped[str | None] = mapped_column(LOOKUP_HASH, index=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    service: Mapped[str | None] = mapped_column(String(40))
    risk: Mapped[code] = mapped_column(default="none")
    """The risk of the caller's last case when the task was opened (ordering and the flag)."""
    note: Mapped[str | None] = mapped_column(EncryptedString())
    due_at: Mapped[datetime]
    """The deadline: the caller is to be reached by then."""
    next_attempt_at: Mapped[datetime | None]
    """When the next try is due on the retry schedule (None: now)."""
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    owned_at: Mapped[datetime | None]
    attempts_made: Mapped[int] = mapped_column(Integer, default=0)
    outcome: Mapped[str | None] = mapped_column(String(40))
    """reached, or unreachable after the last attempt, or the reason a person closed it."""
    closing_note: Mapped[str | None] = mapped_column(EncryptedString())
    closed_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]
    """When the task went past its deadline and its escalation chain was started."""
    escalation_id: Mapped[int | None] = mapped_column(Integer)
    """The overdue chain (escalation.id), when one was started."""
    source: Mapped[str | None] = mapped_column(String(80))
    """What opened it for kinds opened by other packages (e.g. workorder:12)."""
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    call: Mapped[Call | None] = relationship()
    attempts: Mapped[list[CallbackAttempt]] = relationship(
        back_populates="task", order_by="CallbackAttempt.id", cascade="all, delete-orphan"
    )
    events: Mapped[list[CallbackEvent]] = relationship(
        back_populates="task", order_by="CallbackEvent.id", cascade="all, delete-orphan"
    )

    @property
    def is_open(self) -> bool:
        """Return whether the task still waits for the caller to be reached."""
        return self.status in OPEN_STATUSES


class CallbackAttempt(Base):
    """One dial to the caller: the worker's phone first, then the bridge to the caller."""

    __tablename__ = "callback_attempts"

    id: Mapped[intpk]
    task_id: Mapped[int] = mapped_column(ForeignKey("callback_tasks.id", ondelete="CASCADE"), index=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    started_at: Mapped[datetime]
    call_sid: Mapped[str | None] = mapped_column(String(64), index=True)
    """The provider's id of the call to the worker."""
    dial_status: Mapped[str | None] = mapped_column(String(40))
    """What the network said of the leg to the caller (completed, no-answer, busy, failed)."""
    outcome: Mapped[str | None] = mapped_column(String(40))
    """AttemptOutcome, recorded by the worker (suggested from dial_status)."""
    note: Mapped[str | None] = mapped_column(EncryptedString())
    ended_at: Mapped[datetime | None]

    task: Mapped[CallbackTask] = relationship(back_populates="attempts")
    worker: Mapped[User] = relationship()


class CallbackEvent(Base):
    """One step in a task's life; never updated, never deleted."""

    __tablename__ = "callback_events"

    id: Mapped[intpk]
    task_id: Mapped[int] = mapped_column(ForeignKey("callback_tasks.id", ondelete="CASCADE"), index=True)
    kind: Mapped[code]
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)

    task: Mapped[CallbackTask] = relationship(back_populates="events")


def log_event(
    session: Session, task: CallbackTask, kind: str, now: datetime, actor_id: int | None = None, **data: Any
) -> None:
    """Append a step to the task's log (the caller commits)."""
    session.add(CallbackEvent(task_id=task.id, kind=kind, at=now, actor_id=actor_id, data=data))


def lock_task(session: Session, task_id: int) -> CallbackTask | None:
    """Return a task locked for this transaction (FOR UPDATE on PostgreSQL)."""
    return session.scalar(select(CallbackTask).where(CallbackTask.id == task_id).with_for_update())
