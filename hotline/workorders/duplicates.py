"""Duplicate reports: a second order about the same matter while one is open, offered for merging.

Two orders are about the same matter when they are for the same case, the same caller
(the number's lookup hash), or the same area with the same reason, and the earlier one
was dispatched within `WINDOW` before the later and is still open. A supervisor merges the
later (the duplicate) into the earlier: the duplicate closes with `merged_into_id` set and
its chain or link ends; both orders log a `merged` event, so the timelines of both cases
show it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from hotline.accounts.models import User
from hotline.cases.models import Case
from hotline.workorders.exceptions import BadInput, WrongState
from hotline.workorders.models import OPEN_STATES, OrderState, WorkOrder
from hotline.workorders.services import (
    end_link,
    finish_referral,
    get_order,
    log,
    move,
    require_supervisor,
    stop_chain,
)

WINDOW = timedelta(days=7)
"""How far back an open order counts as the same matter."""


@dataclass(frozen=True)
class Duplicate:
    """A later order that looks like a second report of an open earlier one, and why."""

    order: WorkOrder
    original: WorkOrder
    why: str
    """"case", "caller" or "area" (same area and reason)."""


def caller_hash(session: Session, order: WorkOrder) -> str | None:
    """Return the lookup hash of the order's caller number, if its case has one."""
    case = session.get(Case, order.case_id) if order.case_id is not None else None
    return case.caller_phone_hash if case is not None else None


def why_same(session: Session, order: WorkOrder, earlier: WorkOrder) -> str | None:
    """Return why two orders are about the same matter ("case", "caller", "area"), else None."""
    if order.case_id is not None and order.case_id == earlier.case_id:
        return "case"
    mine = caller_hash(session, order)
    if mine is not None and mine == caller_hash(session, earlier):
        return "caller"
    if order.area_id is not None and order.area_id == earlier.area_id and order.reason == earlier.reason:
        return "area"
    return None


def original_of(session: Session, order: WorkOrder) -> Duplicate | None:
    """Return the open earlier order this one repeats (the oldest), else None."""
    if order.merged_into_id is not None or order.state not in OPEN_STATES:
        return None
    hashed = caller_hash(session, order)
    same_caller = select(Case.id).where(Case.caller_phone_hash == hashed) if hashed else None
    matches = [WorkOrder.area_id == order.area_id] if order.area_id is not None else []
    if order.case_id is not None:
        matches.append(WorkOrder.case_id == order.case_id)
    if same_caller is not None:
        matches.append(WorkOrder.case_id.in_(same_caller))
    if not matches:
        return None
    earlier = session.scalars(
        select(WorkOrder)
        .where(
            WorkOrder.id != order.id,
            WorkOrder.dispatched_at <= order.dispatched_at,
            WorkOrder.dispatched_at >= order.dispatched_at - WINDOW,
            WorkOrder.state.in_(OPEN_STATES),
            WorkOrder.merged_into_id.is_(None),
            or_(*matches),
        )
        .order_by(WorkOrder.dispatched_at, WorkOrder.id)
    )
    for candidate in earlier:
        if (candidate.dispatched_at, candidate.id) >= (order.dispatched_at, order.id):
            continue
        why = why_same(session, order, candidate)
        if why is not None:
            return Duplicate(order, candidate, why)
    return None


def open_duplicates(session: Session) -> list[Duplicate]:
    """Return every open order that repeats an earlier open one, for the supervisor's board."""
    found = []
    for order in session.scalars(select(WorkOrder).where(WorkOrder.state.in_(OPEN_STATES)).order_by(WorkOrder.id)):
        duplicate = original_of(session, order)
        if duplicate is not None:
            found.append(duplicate)
    return found


def merge(session: Session, order_id: int, into_id: int, *, actor: User, now: datetime) -> WorkOrder:
    """Merge a duplicate report into the open order of the same matter; supervisors only; commit.

    The duplicate closes (`merged_into_id`); its referral is finished, its link or chain ends;
    both orders log `merged`. Returns the order kept.

    Raises:
        OrderNotFound, NotYourOrder (not a supervisor), BadInput (not the same matter, or itself),
        WrongState (either order is no longer open).
    """
    duplicate = get_order(session, order_id)
    require_supervisor(actor, duplicate)
    kept = get_order(session, into_id)
    if kept.id == duplicate.id:
        raise BadInput("into", "itself")
    for order in (duplicate, kept):
        if order.state not in OPEN_STATES or order.merged_into_id is not None:
            raise WrongState(order.state)
    why = why_same(session, duplicate, kept)
    if why is None:
        raise BadInput("into", "not the same matter")
    move(
        session,
        duplicate,
        OPEN_STATES,
        state=OrderState.CLOSED.value,
        closed_at=now,
        merged_into_id=kept.id,
    )
    log(session, duplicate, "merged", now, actor_id=actor.id, via="board", into=kept.reference, why=why)
    move(session, kept, OPEN_STATES)
    log(
        session,
        kept,
        "merged",
        now,
        actor_id=actor.id,
        via="board",
        duplicate=duplicate.reference,
        why=why,
        request=duplicate.request_text,
    )
    session.commit()
    finish_referral(session, duplicate, "referred_on", f"{duplicate.reference} → {kept.reference}", now, actor.id)
    end_link(session, duplicate, now, actor.id)
    stop_chain(session, duplicate, now, actor.id, why=f"work order {duplicate.reference} merged into {kept.reference}")
    return kept
