"""The scheduler's callback work: a task past its deadline escalates like any chain."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline import push
from hotline.callbacks.models import OPEN_STATUSES, CallbackTask, log_event
from hotline.cases.models import Case
from hotline.escalation.events import publish
from hotline.escalation.exceptions import NoPolicy
from hotline.escalation.models import Escalation, EscalationStatus, Reason, Urgency
from hotline.escalation.triggers import start_escalation
from hotline.telephony.models import Call

OVERDUE_TRIGGER = "callback-overdue"
log = logging.getLogger("hotline.callbacks.jobs")


def running_chain(session: Session, call_id: int | None) -> int | None:
    """Return the id of a callback chain of the call still running (it escalates on its own)."""
    if call_id is None:
        return None
    return session.scalar(
        select(Escalation.id).where(
            Escalation.call_id == call_id,
            Escalation.reason == Reason.CALLBACK.value,
            Escalation.status == EscalationStatus.RUNNING.value,
        )
    )


def escalate_overdue(session: Session, now: datetime) -> list[int]:
    """Start an urgent callback chain for each open task past its deadline, once per task; return the task ids.

    A task whose call still has a running callback chain is left to that chain. The
    chain's first step runs at the escalation tick, like every chain.
    """
    due = select(CallbackTask.id).where(
        CallbackTask.status.in_(OPEN_STATUSES), CallbackTask.due_at < now, CallbackTask.escalated_at.is_(None)
    )
    escalated: list[int] = []
    for task_id in list(session.scalars(due)):
        unescalated = (CallbackTask.id == task_id) & CallbackTask.escalated_at.is_(None)
        task = session.scalar(select(CallbackTask).where(unescalated).with_for_update())
        if task is None or not task.is_open:
            session.rollback()
            continue
        chain_id = running_chain(session, task.call_id)
        if chain_id is None:
            try:
                chain_id = overdue_chain(session, task, now)
            except NoPolicy:
                log.warning("no escalation policy for the overdue callback %s", task.id)
        task.escalated_at, task.escalation_id, task.version = now, chain_id, task.version + 1
        log_event(session, task, "escalated", now, escalation_id=chain_id)
        session.commit()
        if chain_id is not None:
            publish(escalation=session.get(Escalation, chain_id))
        escalated.append(task.id)
    if escalated:
        push.callbacks_changed("overdue")
    return escalated


def overdue_chain(session: Session, task: CallbackTask, now: datetime) -> int:
    """Start the urgent callback chain of an overdue task (in the caller's transaction); return its id."""
    escalation, _ = start_escalation(
        session,
        trigger=OVERDUE_TRIGGER,
        reason=Reason.CALLBACK.value,
        urgency=Urgency.URGENT.value,
        now=now,
        case=session.get(Case, task.case_id) if task.case_id else None,
        call=session.get(Call, task.call_id) if task.call_id else None,
        note=f"callback:{task.id}",
        run_first_step=False,
    )
    return escalation.id


def tick() -> None:
    """Escalate the callbacks past their deadline (the scheduler's job)."""
    from hotline.clock import utcnow
    from hotline.extensions import db

    escalate_overdue(db.session, utcnow())
