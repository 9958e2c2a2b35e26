"""Closing the loop: the unit's result, the hotline's return call (回访), the caller's verdict.

A submitted result creates the return-call task for the hotline (`return_call_task`,
a `return_call` follow-up of the case that the follow-ups list and its call button
show). The caller's verdict closes the order when the matter is resolved; "not
resolved" reopens it to the same unit once, and after that sends it to the
supervisor (state returned).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.accounts.models import User
from hotline.cases.models import FollowUp, ReturnCall
from hotline.workorders.deadlines import due_times
from hotline.workorders.exceptions import BadInput, WrongState
from hotline.workorders.models import OrderState, WorkOrder
from hotline.workorders.services import check_actor, clean_text, get_order, log, move

MAX_REOPENS = 1


def return_call_task(session: Session, order: WorkOrder, now: datetime) -> int | None:
    """Create the hotline's return-call task for an order's result; return its id (None without a case).

    The task is a pending `return_call` follow-up of the case, due at once, for
    whoever on the hotline takes it.
    """
    if order.case_id is None:
        return None
    task = FollowUp(
        case_id=order.case_id,
        kind="return_call",
        due_at=now,
        created_at=now,
        created_by_id=None,
        status="pending",
        note=f"{order.reference} · {order.unit_name}",
        version=0,
    )
    session.add(task)
    session.flush()
    return task.id


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
    order = get_order(session, order_id)
    check_actor(session, order, actor, referral_id)
    text = clean_text(result, "result")
    actor_id = actor.id if actor else None
    on_time = order.handle_due_at is None or now <= order.handle_due_at
    move(
        session,
        order,
        (OrderState.SIGNED.value, OrderState.IN_PROGRESS.value),
        state=OrderState.SUBMITTED.value,
        result=text,
        submitted_at=now,
        completed_on_time=on_time,
    )
    log(session, order, "result_submitted", now, actor_id=actor_id, via=via, result=text, on_time=on_time)
    case = order.case
    if case is not None and case.consent_callback:
        task_id = return_call_task(session, order, now)
        move(session, order, (OrderState.SUBMITTED.value,), state=OrderState.RETURN_CALL.value, return_call_id=task_id)
        log(session, order, "return_call_due", now, via="system")
    else:
        move(session, order, (OrderState.SUBMITTED.value,), state=OrderState.CLOSED.value, closed_at=now)
        log(session, order, "closed", now, via="system", why="no callback consent")
    session.commit()
    return order


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
            follow_up_id=order.return_call_id,
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
    task = session.get(FollowUp, order.return_call_id) if order.return_call_id else None
    if task is not None and task.status == "pending":
        task.status, task.outcome, task.completed_at, task.version = "done", "reached", now, task.version + 1
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
    return order


def pending_return_calls(session: Session) -> list[WorkOrder]:
    """Return the orders whose return call is due, oldest result first."""
    query = select(WorkOrder).where(WorkOrder.state == OrderState.RETURN_CALL.value).order_by(WorkOrder.submitted_at)
    return list(session.scalars(query))
