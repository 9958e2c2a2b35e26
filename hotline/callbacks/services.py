"""The callback queue: open a task, list the queue, take a task, show its number, record attempts.

Other packages open tasks of their own kinds with `open_task` (a return call, 回访,
from a work order) and read when a caller may expect the call with
`expected_callback_time`; docs/console.md describes both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline import audit, push
from hotline.accounts.models import User
from hotline.callbacks import schedule
from hotline.callbacks.exceptions import BadOutcome, NoAttempt, TaskClosed, TaskNotFound, TaskTaken
from hotline.callbacks.models import (
    OPEN_STATUSES,
    AttemptOutcome,
    CallbackAttempt,
    CallbackTask,
    TaskKind,
    TaskStatus,
    lock_task,
    log_event,
)
from hotline.cases.models import Case
from hotline.privacy import phone_lookup_hash
from hotline.telephony.models import Call
from hotline.vocabulary import Risk, Role

RISK_RANK = {risk.value: rank for rank, risk in enumerate(Risk)}
HIGH_RISK = (Risk.HIGH.value, Risk.IMMINENT.value)
NUMBER_VIEW_ACTION = "callback.number_view"
CALL_KINDS = (TaskKind.MISSED, TaskKind.ABANDONED, TaskKind.VOICEMAIL, TaskKind.CALLBACK_REQUESTED)


def last_case_for(session: Session, phone: str | None) -> Case | None:
    """Return the newest case of a caller's number, or None."""
    if not phone:
        return None
    digest = phone_lookup_hash(phone)
    return session.scalar(select(Case).where(Case.caller_phone_hash == digest).order_by(Case.id.desc()).limit(1))


def open_task(
    session: Session,
    *,
    kind: str,
    now: datetime,
    phone: str | None = None,
    call_id: int | None = None,
    case_id: int | None = None,
    due_at: datetime | None = None,
    note: str | None = None,
    service: str | None = None,
    source: str | None = None,
    created_by_id: int | None = None,
) -> CallbackTask:
    """Open a callback task of a kind (missed, abandoned, voicemail, callback-requested, return-call); commit.

    The deadline is `due_at`, else the manager's schedule (shorter when the caller's last
    case was high risk). A second task with the same `source` (e.g. "workorder:12") while
    the first is open is not made: the open one is returned.

    Args:
        session: the database session (committed here).
        kind: a TaskKind value.
        now: the time of opening.
        phone: the number to call in E.164 (a call's number is taken when call_id is given).
        call_id, case_id: the call and case the task is about, when known.
        due_at: the deadline, when the opener has one (a work order's return-call date).
        note: what the worker should know before calling (encrypted).
        service: the service the caller chose, when known.
        source: what opened it, for kinds opened by other packages.
        created_by_id: the user who opened it, if a person did.

    Returns:
        The open task.

    Raises:
        ValueError: an unknown kind.
    """
    kind = TaskKind(kind).value
    if source is not None:
        existing = session.scalar(
            select(CallbackTask).where(CallbackTask.source == source, CallbackTask.status.in_(OPEN_STATUSES))
        )
        if existing is not None:
            return existing
    call = session.get(Call, call_id) if call_id is not None else None
    if call is not None:
        phone = phone or call.from_number
        case_id = case_id or call.case_id
        service = service or call.service
    case = session.get(Case, case_id) if case_id is not None else last_case_for(session, phone)
    risk = case.risk if case is not None else Risk.NONE.value
    if due_at is None:
        rules = schedule.load(session)
        minutes = rules.high_risk_deadline_minutes if risk in HIGH_RISK else rules.deadline_minutes
        due_at = now + timedelta(minutes=minutes)
    task = CallbackTask(
        kind=kind,
        status=TaskStatus.OPEN.value,
        phone=phone,
        call_id=call.id if call is not None else None,
        case_id=case.id if case is not None else None,
        service=service,
        risk=risk,
        note=note or None,
        due_at=due_at,
        source=source,
        created_by_id=created_by_id,
        created_at=now,
    )
    session.add(task)
    session.flush()
    log_event(session, task, "opened", now, actor_id=created_by_id, task_kind=kind, source=source)
    session.commit()
    push.callbacks_changed("opened")
    return task


def open_for_call(session: Session, call_id: int, reason: str, now: datetime) -> CallbackTask | None:
    """Open the task of a missed, abandoned or voicemail call or a callback request, once per call.

    Nothing is opened for a call with neither a number nor a voicemail.
    """
    call = session.get(Call, call_id)
    if call is None or reason not in {kind.value for kind in CALL_KINDS}:
        return None
    if not call.from_number and not call.recording_url and reason != TaskKind.VOICEMAIL:
        return None
    existing = session.scalar(select(CallbackTask).where(CallbackTask.call_id == call.id))
    if existing is not None:
        return None
    return open_task(session, kind=reason, now=now, call_id=call.id)


def expected_callback_time(session: Session, call_id: int) -> datetime | None:
    """Return by when the caller of a call is to be called back (the open task's deadline), or None."""
    return session.scalar(
        select(CallbackTask.due_at).where(CallbackTask.call_id == call_id, CallbackTask.status.in_(OPEN_STATUSES))
    )


def sort_key(task: CallbackTask) -> tuple[datetime, int]:
    """Order the queue: the earliest deadline first, the higher risk first at the same deadline."""
    return task.due_at, -RISK_RANK.get(task.risk, 0)


def open_tasks(session: Session) -> list[CallbackTask]:
    """Return every open or owned task, by deadline and risk."""
    tasks = list(session.scalars(select(CallbackTask).where(CallbackTask.status.in_(OPEN_STATUSES))))
    return sorted(tasks, key=sort_key)


def recently_closed(session: Session, now: datetime, hours: int = 24) -> list[CallbackTask]:
    """Return the tasks closed in the last hours, newest first."""
    since = now - timedelta(hours=hours)
    query = select(CallbackTask).where(CallbackTask.closed_at >= since).order_by(CallbackTask.closed_at.desc())
    return list(session.scalars(query))


def get_task(session: Session, task_id: int) -> CallbackTask:
    """Return a task.

    Raises:
        TaskNotFound.
    """
    task = session.get(CallbackTask, task_id)
    if task is None:
        raise TaskNotFound(str(task_id))
    return task


def earlier_calls(session: Session, task: CallbackTask, limit: int = 10) -> list[Call]:
    """Return the caller's other calls, newest first."""
    if not task.phone:
        return []
    query = (
        select(Call)
        .where(Call.from_hash == phone_lookup_hash(task.phone), Call.id != (task.call_id or 0))
        .order_by(Call.created_at.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def may_see_number(task: CallbackTask, user: User) -> bool:
    """Return whether the user may see the task's full number: its owner, or a supervisor."""
    return task.owner_id == user.id or user.role == Role.SUPERVISOR.value


def take(session: Session, task_id: int, user: User, now: datetime) -> CallbackTask:
    """Make the user the task's owner (由我负责); commit.

    Raises:
        TaskNotFound, TaskClosed, TaskTaken (another worker owns it).
    """
    task = lock_task(session, task_id)
    if task is None:
        raise TaskNotFound(str(task_id))
    if not task.is_open:
        session.rollback()
        raise TaskClosed(str(task_id))
    if task.owner_id == user.id:
        session.rollback()
        return task
    if task.owner_id is not None:
        session.rollback()
        raise TaskTaken(str(task_id))
    task.status, task.owner_id, task.owned_at, task.version = TaskStatus.OWNED.value, user.id, now, task.version + 1
    log_event(session, task, "taken", now, actor_id=user.id)
    session.commit()
    push.callbacks_changed("taken")
    return task


def show_number(session: Session, task_id: int, user: User, now: datetime) -> str:
    """Return the task's full number to its owner (or a supervisor), written to the audit log; commit.

    Raises:
        TaskNotFound, TaskTaken (the user may not see it).
    """
    task = get_task(session, task_id)
    if not may_see_number(task, user) or not task.phone:
        raise TaskTaken(str(task_id))
    entry = audit.record(session, NUMBER_VIEW_ACTION, actor_id=user.id, target=f"callback:{task.id}")
    entry.at = now
    session.commit()
    return task.phone


def pending_attempt(task: CallbackTask) -> CallbackAttempt | None:
    """Return the task's latest dial that has no outcome yet."""
    for attempt in reversed(task.attempts):
        if attempt.outcome is None:
            return attempt
    return None


def record_outcome(
    session: Session, task_id: int, user: User, outcome: str, note: str | None, now: datetime
) -> CallbackTask:
    """Record what the latest dial came to; close the task when reached, a wrong number or the last attempt; commit.

    An attempt that failed with attempts left sets the next one on the manager's
    retry schedule. The closing note lists every attempt's outcome and the worker's note.

    Raises:
        TaskNotFound, TaskClosed, TaskTaken (not the owner), BadOutcome, NoAttempt.
    """
    try:
        outcome = AttemptOutcome(outcome).value
    except ValueError as exc:
        raise BadOutcome(outcome) from exc
    task = lock_task(session, task_id)
    if task is None:
        raise TaskNotFound(str(task_id))
    if not task.is_open:
        session.rollback()
        raise TaskClosed(str(task_id))
    attempt = pending_attempt(task)
    if attempt is None:
        session.rollback()
        raise NoAttempt(str(task_id))
    if task.owner_id != user.id:
        session.rollback()
        raise TaskTaken(str(task_id))
    attempt.outcome, attempt.note, attempt.ended_at = outcome, (note or "").strip() or None, attempt.ended_at or now
    task.version += 1
    log_event(session, task, "attempt", now, actor_id=user.id, outcome=outcome, attempt=task.attempts_made)
    rules = schedule.load(session)
    if outcome == AttemptOutcome.REACHED:
        close(session, task, now, "reached", user.id)
    elif outcome == AttemptOutcome.WRONG_NUMBER:
        close(session, task, now, "wrong_number", user.id)
    elif task.attempts_made >= rules.max_attempts:
        close(session, task, now, "unreachable", user.id)
    else:
        task.next_attempt_at = now + timedelta(minutes=rules.retry_minutes[task.attempts_made - 1])
    session.commit()
    push.callbacks_changed("attempt")
    return task


def close(session: Session, task: CallbackTask, now: datetime, outcome: str, actor_id: int | None) -> None:
    """Close a task with its outcome and a note of every attempt (the caller commits)."""
    lines = [
        f"{index}. {attempt.outcome}" + (f": {attempt.note}" if attempt.note else "")
        for index, attempt in enumerate(task.attempts, start=1)
    ]
    task.status, task.outcome, task.closed_at, task.next_attempt_at = TaskStatus.CLOSED.value, outcome, now, None
    task.closing_note = "\n".join(lines) or None
    log_event(session, task, "closed", now, actor_id=actor_id, outcome=outcome)


@dataclass(frozen=True)
class Figures:
    """Callbacks in a period: asked for, reached, reached by their deadline."""

    requested: int
    reached: int
    within_deadline: int

    @property
    def reached_rate(self) -> float | None:
        """Return the share reached (None with nothing requested)."""
        return self.reached / self.requested if self.requested else None


def figures(session: Session, start: datetime, end: datetime) -> Figures:
    """Count the tasks opened in [start, end), those reached, and those reached by their deadline."""
    opened = (CallbackTask.created_at >= start) & (CallbackTask.created_at < end)
    reached = opened & (CallbackTask.outcome == "reached")
    return Figures(
        session.scalar(select(func.count()).where(opened)) or 0,
        session.scalar(select(func.count()).where(reached)) or 0,
        session.scalar(select(func.count()).where(reached & (CallbackTask.closed_at <= CallbackTask.due_at))) or 0,
    )


def due_count(session: Session, now: datetime) -> int:
    """Return how many open tasks are due now (their next attempt has come)."""
    query = select(func.count()).where(
        CallbackTask.status.in_(OPEN_STATUSES),
        (CallbackTask.next_attempt_at.is_(None)) | (CallbackTask.next_attempt_at <= now),
    )
    return session.scalar(query) or 0
