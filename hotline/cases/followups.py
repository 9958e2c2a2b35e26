"""Follow-ups (scheduled callbacks and return calls), their outcomes, and caller satisfaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hotline.cases.casework import OVERDUE_AFTER, get_case, is_overdue
from hotline.cases.exceptions import FollowUpNotFound, NoCallbackConsent
from hotline.cases.models import FollowUp, ReturnCall
from hotline.cases.vocabulary import FOLLOW_UP_KINDS, FOLLOW_UP_OUTCOMES


def schedule_follow_up(
    session: Session,
    case_id: int,
    due_at: datetime,
    assignee_id: int | None,
    created_by_id: int,
    now: datetime,
    kind: str = "callback",
    note: str | None = None,
) -> FollowUp:
    """Schedule a callback or a return call on a case for an assignee.

    Raises:
        NoCallbackConsent: the caller did not agree to be called back.
    """
    case = get_case(session, case_id)
    if kind not in FOLLOW_UP_KINDS:
        raise ValueError(kind)
    if not case.consent_callback:
        raise NoCallbackConsent(case_id)
    follow_up = FollowUp(
        case_id=case.id,
        kind=kind,
        due_at=due_at,
        assignee_id=assignee_id,
        created_by_id=created_by_id,
        created_at=now,
        note=(note or "").strip() or None,
        status="pending",
        version=0,
    )
    session.add(follow_up)
    if case.status == "open":
        case.status = "in_progress"
    session.commit()
    return follow_up


def _pending(session: Session, follow_up_id: int) -> FollowUp:
    follow_up = session.get(FollowUp, follow_up_id)
    if follow_up is None or follow_up.status != "pending":
        raise FollowUpNotFound(follow_up_id)
    return follow_up


def complete_follow_up(
    session: Session, follow_up_id: int, outcome: str, actor_id: int, now: datetime, note: str | None = None
) -> FollowUp:
    """Record a follow-up's outcome and mark it done."""
    follow_up = _pending(session, follow_up_id)
    if outcome not in FOLLOW_UP_OUTCOMES:
        raise ValueError(outcome)
    follow_up.status, follow_up.outcome, follow_up.completed_at = "done", outcome, now
    follow_up.outcome_note = (note or "").strip() or None
    follow_up.version += 1
    session.commit()
    return follow_up


def cancel_follow_up(session: Session, follow_up_id: int, actor_id: int, now: datetime) -> FollowUp:
    """Cancel a pending follow-up."""
    follow_up = _pending(session, follow_up_id)
    follow_up.status, follow_up.completed_at = "cancelled", now
    follow_up.version += 1
    session.commit()
    return follow_up


def record_return_call(
    session: Session,
    case_id: int,
    worker_id: int,
    now: datetime,
    *,
    reached: bool,
    problem_solved: str | None = None,
    satisfaction: int | None = None,
    note: str | None = None,
    follow_up_id: int | None = None,
) -> ReturnCall:
    """Record a return call (回访): was the caller reached, is the problem solved, how satisfied (1-5).

    A reached caller completes the follow-up it answers; an unreached one leaves it pending.

    Raises:
        NoCallbackConsent: the caller did not agree to be called back.
        ValueError: satisfaction outside 1-5 or an unknown answer.
    """
    case = get_case(session, case_id)
    if not case.consent_callback:
        raise NoCallbackConsent(case_id)
    if satisfaction is not None and not 1 <= satisfaction <= 5:
        raise ValueError("satisfaction")
    if problem_solved not in (None, "yes", "partly", "no"):
        raise ValueError("problem_solved")
    follow_up = None
    if follow_up_id is not None:
        follow_up = session.get(FollowUp, follow_up_id)
        if follow_up is None or follow_up.case_id != case.id:
            raise FollowUpNotFound(follow_up_id)
    entry = ReturnCall(
        case_id=case.id,
        follow_up_id=follow_up_id,
        worker_id=worker_id,
        at=now,
        reached=reached,
        problem_solved=problem_solved if reached else None,
        satisfaction=satisfaction if reached else None,
        note=(note or "").strip() or None,
    )
    session.add(entry)
    if follow_up is not None and follow_up.status == "pending" and reached:
        follow_up.status, follow_up.outcome, follow_up.completed_at = "done", "reached", now
        follow_up.version += 1
    session.commit()
    return entry


@dataclass
class FollowUpList:
    """Follow-ups for the list page, split by urgency."""

    overdue: list[FollowUp]
    due: list[FollowUp]
    upcoming: list[FollowUp]
    recent_done: list[FollowUp]


def list_follow_ups(session: Session, now: datetime, assignee_id: int | None = None) -> FollowUpList:
    """Return pending follow-ups (overdue, due, upcoming) and the last ones done, for one assignee or all."""
    query = select(FollowUp).order_by(FollowUp.due_at)
    if assignee_id is not None:
        query = query.where(FollowUp.assignee_id == assignee_id)
    pending = list(session.scalars(query.where(FollowUp.status == "pending")))
    done = list(
        session.scalars(
            query.where(FollowUp.status != "pending").order_by(None).order_by(FollowUp.completed_at.desc()).limit(20)
        )
    )
    return FollowUpList(
        overdue=[f for f in pending if is_overdue(f, now)],
        due=[f for f in pending if f.due_at <= now and not is_overdue(f, now)],
        upcoming=[f for f in pending if f.due_at > now],
        recent_done=done,
    )


def follow_up_payload(follow_up: FollowUp, now: datetime) -> dict[str, Any]:
    """Return what the console needs to show a due follow-up (no caller number)."""
    return {
        "id": follow_up.id,
        "case_id": follow_up.case_id,
        "case_reference": follow_up.case.reference if follow_up.case else None,
        "kind": follow_up.kind,
        "due_at": follow_up.due_at.isoformat(),
        "overdue": follow_up.due_at + OVERDUE_AFTER <= now,
        "note": follow_up.note or "",
    }


def claim_due_follow_ups(session: Session, now: datetime, limit: int = 100) -> list[tuple[int, dict[str, Any]]]:
    """Claim pending follow-ups that have fallen due and not been announced; return (assignee, payload) pairs.

    Each row is claimed with its version (and FOR UPDATE SKIP LOCKED on PostgreSQL), so two racing
    ticks announce a follow-up once. The caller emits after this commit.
    """
    query = (
        select(FollowUp)
        .where(FollowUp.status == "pending", FollowUp.notified_at.is_(None), FollowUp.due_at <= now)
        .order_by(FollowUp.due_at)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    claimed: list[tuple[int, dict[str, Any]]] = []
    for follow_up in session.scalars(query):
        result = session.execute(
            update(FollowUp)
            .where(FollowUp.id == follow_up.id, FollowUp.version == follow_up.version)
            .values(notified_at=now, version=follow_up.version + 1)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1 and follow_up.assignee_id is not None:
            claimed.append((follow_up.assignee_id, follow_up_payload(follow_up, now)))
    session.commit()
    return claimed


def get_follow_up(session: Session, follow_up_id: int) -> FollowUp:
    """Return a follow-up or raise FollowUpNotFound."""
    follow_up = session.get(FollowUp, follow_up_id)
    if follow_up is None:
        raise FollowUpNotFound(follow_up_id)
    return follow_up
