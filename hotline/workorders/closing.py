"""Closing the loop: the unit's result, the hotline's return call (回访), the caller's verdict.

A submitted result opens the return-call task for the hotline in the callback queue
(`return_call_task`: a `return-call` task with click to dial, due within 24 hours).
The caller's verdict closes the order when the matter is resolved; "not resolved"
reopens it to the same unit once, and after that sends it to the supervisor
(state returned).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.accounts.models import User
from hotline.callbacks.models import CallbackTask, TaskKind
from hotline.callbacks.services import close as close_task
from hotline.callbacks.services import open_task
from hotline.cases.models import ReturnCall
from hotline.workorders.deadlines import due_times
from hotline.workorders.exceptions import BadInput, WrongState
from hotline.workorders.models import OrderState, WorkOrder
from hotline.workorders.services import (
    HANDLING,
    clean_text,
    finish_referral,
    get_order,
    log,
    move,
    transition,
    unit_order,
)

MAX_REOPENS = 1
RETURN_CALL_WITHIN = timedelta(hours=24)
"""The return call's deadline in the callback queue, counted from the result."""


def return_call_task(session: Session, order: WorkOrder, now: datetime) -> int:
    """Open the hotline's return-call task for an order's result in the callback queue; return its id; commit.

    One task per order and round (`source` "workorder:<id>:<round>"): asking again while it
    is open returns the same task, so a tick finishing an interrupted submission makes no second one.
    """
    case = order.case
    task = open_task(
        session,
        kind=TaskKind.RETURN_CALL.value,
        now=now,
        phone=case.caller_phone if case is not None else None,
        case_id=order.case_id,
        due_at=now + RETURN_CALL_WITHIN,
        note=f"{order.reference} · {order.unit_name}: {order.result or ''}"[:500],
        source=f"workorder:{order.id}:{order.reopens}",
    )
    return task.id


def open_return_call(session: Session, order: WorkOrder, now: datetime) -> WorkOrder:
    """Move a submitted order on: the return call is due (in the callback queue), or closed without consent; commit."""
    case = order.case
    if case is not None and case.consent_callback and case.caller_phone:
        task_id = return_call_task(session, order, now)
        move(session, order, (OrderState.SUBMITTED.value,), state=OrderState.RETURN_CALL.value, return_call_id=task_id)
        log(session, order, "return_call_due", now, via="system")
    else:
        move(session, order, (OrderState.SUBMITTED.value,), state=OrderState.CLOSED.value, closed_at=now)
        log(session, order, "closed", now, via="system", why="no callback consent")
    session.commit()
    if order.state == OrderState.CLOSED:
        finish_referral(session, order, "followed_up", f"{order.reference}: {order.result or ''}", now, None)
    return order


def finish_submitted(session: Session, now: datetime) -> int:
    """Open the return call of orders left submitted (a process died in between); return how many."""
    done = 0
    for order in session.scalars(select(WorkOrder).where(WorkOrder.state == OrderState.SUBMITTED.value)).all():
        try:
            open_return_call(session, order, now)
            done += 1
        except WrongState:
            session.rollback()
    return done


def submit_result(
    session: Session,
    order_id: int,
    result: str | None,
    *,
    actor: User | None,
    now: datetime,
    via: str = "page",
    referral_id: int | None = None,
) -> WorkOrder:
    """Record the unit's result (办结); the hotline's return call is now due.

    Without a case the caller consented to be called back on, the order closes at once.

    Raises:
        OrderNotFound, NotYourOrder, WrongState (not signed, or already submitted), BadInput (no result).
    """
    order, actor_id = unit_order(session, order_id, actor, referral_id)
    text = clean_text(result, "result")
    on_time = order.handle_due_at is None or now <= order.handle_due_at
    values = {"state": OrderState.SUBMITTED.value, "result": text, "submitted_at": now, "completed_on_time": on_time}
    transition(
        session,
        order,
        HANDLING,
        "result_submitted",
        now,
        actor_id=actor_id,
        via=via,
        values=values,
        result=text,
        on_time=on_time,
    )
    return open_return_call(session, order, now)


def record_verdict(
    session: Session,
    order_id: int,
    *,
    reached: bool,
    resolved: bool | None,
    satisfaction: int | None,
    note: str | None,
    worker: User,
    now: datetime,
) -> WorkOrder:
    """Record the return call: resolved closes the order; not resolved reopens it once, then to the supervisor.

    A caller not reached leaves the task pending and the order waiting.

    Raises:
        OrderNotFound, WrongState (no return call due), BadInput (satisfaction outside 1-5, no answer).
    """
    order = get_order(session, order_id)
    if order.state != OrderState.RETURN_CALL:
        raise WrongState(order.state)
    text = clean_text(note, "note", required=False)
    if reached:
        if resolved is None:
            raise BadInput("resolved", "required")
        if satisfaction is None or not 1 <= satisfaction <= 5:
            raise BadInput("satisfaction", "from 1 to 5")
    session.add(
        ReturnCall(
            case_id=order.case_id,
            follow_up_id=None,
            worker_id=worker.id,
            at=now,
            reached=reached,
            problem_solved=("yes" if resolved else "no") if reached else None,
            satisfaction=satisfaction if reached else None,
            note=text,
        )
    )
    if not reached:
        move(session, order, (OrderState.RETURN_CALL.value,))
        log(session, order, "verdict", now, actor_id=worker.id, via="hotline", reached=False)
        session.commit()
        return order
    task = session.get(CallbackTask, order.return_call_id) if order.return_call_id else None
    if task is not None and task.is_open:
        close_task(session, task, now, "reached", worker.id)
    common = {"resolved": resolved, "satisfaction": satisfaction}
    if resolved:
        move(session, order, (OrderState.RETURN_CALL.value,), state=OrderState.CLOSED.value, closed_at=now, **common)
        log(session, order, "verdict", now, actor_id=worker.id, via="hotline", **common)
        log(session, order, "closed", now, actor_id=worker.id, via="hotline")
    elif order.reopens < MAX_REOPENS:
        _sign_due, handle_due = due_times(session, order.urgency, now)
        move(
            session,
            order,
            (OrderState.RETURN_CALL.value,),
            state=OrderState.IN_PROGRESS.value,
            reopens=order.reopens + 1,
            handle_due_at=handle_due,
            handle_overdue_at=None,
            centre_told_at=None,
            return_call_id=None,
            **common,
        )
        log(session, order, "verdict", now, actor_id=worker.id, via="hotline", **common)
        log(session, order, "reopened", now, actor_id=worker.id, via="hotline", unit=order.unit_name)
    else:
        move(session, order, (OrderState.RETURN_CALL.value,), state=OrderState.RETURNED.value, **common)
        log(session, order, "verdict", now, actor_id=worker.id, via="hotline", **common)
        log(session, order, "returned", now, actor_id=worker.id, via="hotline", reason="not resolved twice")
    session.commit()
    if order.state in (OrderState.CLOSED, OrderState.RETURNED):
        outcome = "resolved" if order.state == OrderState.CLOSED else "could_not_help"
        finish_referral(session, order, outcome, f"{order.reference}: {order.result or ''}", now, worker.id)
    return order


def pending_return_calls(session: Session) -> list[WorkOrder]:
    """Return the orders whose return call is due, oldest result first."""
    query = select(WorkOrder).where(WorkOrder.state == OrderState.RETURN_CALL.value).order_by(WorkOrder.submitted_at)
    return list(session.scalars(query))
