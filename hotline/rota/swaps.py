"""Swaps and leave: a worker asks, a manager approves or refuses, and the rules are checked again.

An approved swap or leave changes the rota in force at once (both layers, so the
draft keeps matching), is recorded as a version, and tells the people concerned.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline import push
from hotline.accounts.models import User
from hotline.clock import hotline_zone
from hotline.rota.certificates import certificate_problem
from hotline.rota.exceptions import NotEligible, NotFound, RequestNotValid
from hotline.rota.models import (
    DRAFT,
    EXPERT,
    PUBLISHED,
    DraftAssignment,
    LeaveRequest,
    RotaNotice,
    Shift,
    ShiftAssignment,
    SwapRequest,
)
from hotline.rota.models.people import APPROVED, CANCELLED, PENDING, REFUSED
from hotline.rota.notices import add_notice, announce, managers
from hotline.rota.publishing import change_row, record_version
from hotline.rota.rules import load_rules
from hotline.rota.validation import ERROR, Issue, validate
from hotline.vocabulary import Role


def _own_assignment(shift: Shift, user_id: int, layer: str = PUBLISHED) -> ShiftAssignment | DraftAssignment | None:
    return next((a for a in shift.layer(layer) if a.user_id == user_id and a.duty != EXPERT), None)


def _live_shift(session: Session, shift_id: int | None, now: datetime) -> Shift:
    shift = session.get(Shift, shift_id) if shift_id else None
    if shift is None or shift.status != PUBLISHED or shift.starts_at <= now:
        raise NotFound(f"shift {shift_id}")
    return shift


def _local_date(moment: datetime) -> date:
    return moment.astimezone(hotline_zone()).date()


def eligible_colleagues(session: Session, requester: User, shift_id: int, now: datetime) -> list[User]:
    """Return the colleagues who could take the requester's duty in a shift (certificate and level fit)."""
    shift = _live_shift(session, shift_id, now)
    own = _own_assignment(shift, requester.id)
    if own is None:
        return []
    on_shift = {a.user_id for a in shift.layer(PUBLISHED)}
    rules = load_rules(session)
    candidates = session.scalars(
        select(User)
        .where(User.active, User.role.in_([Role.WORKER.value, Role.SUPERVISOR.value]), User.id != requester.id)
        .order_by(User.display_name)
    )
    return [
        user
        for user in candidates
        if user.id not in on_shift
        and certificate_problem(
            user, own.duty, shift.starts_at, shift.ends_at, hotline_zone(), rules.supervisor_min_level
        )
        is None
    ]


def request_swap(
    session: Session,
    requester: User,
    shift_id: int,
    colleague_id: int,
    now: datetime,
    colleague_shift_id: int | None = None,
    reason: str | None = None,
) -> SwapRequest:
    """Ask for a colleague to take a shift (or to exchange shifts); commit; tell the managers.

    Raises:
        NotFound: the requester has no duty in that published, future shift.
        NotEligible: the colleague may not take it, or has no duty in the shift offered in exchange.
    """
    shift = _live_shift(session, shift_id, now)
    if _own_assignment(shift, requester.id) is None:
        raise NotFound(f"no duty in shift {shift_id}")
    if colleague_id not in {user.id for user in eligible_colleagues(session, requester, shift_id, now)}:
        raise NotEligible(_("This colleague cannot take this shift."))
    if colleague_shift_id is not None:
        other = _live_shift(session, colleague_shift_id, now)
        theirs = _own_assignment(other, colleague_id)
        if theirs is None or _own_assignment(other, requester.id) is not None:
            raise NotEligible(_("The colleague has no duty in the shift offered in exchange."))
        rules = load_rules(session)
        if certificate_problem(
            requester, theirs.duty, other.starts_at, other.ends_at, hotline_zone(), rules.supervisor_min_level
        ):
            raise NotEligible(_("Your certificate does not allow the colleague's duty."))
    swap = SwapRequest(
        requester_id=requester.id,
        shift_id=shift_id,
        colleague_id=colleague_id,
        colleague_shift_id=colleague_shift_id,
        reason=reason or None,
        created_at=now,
    )
    session.add(swap)
    session.flush()
    notices = _tell_managers(session, "swap", _("%(name)s asks to swap a shift.", name=requester.display_name), swap.id)
    session.commit()
    announce(notices)
    return swap


def swap_changes(session: Session, swap: SwapRequest) -> list[dict[str, Any]]:
    """Return the swap as validator changes on the published layer."""
    changes: list[dict[str, Any]] = []
    pairs = [(swap.shift_id, swap.requester_id, swap.colleague_id)]
    if swap.colleague_shift_id is not None:
        pairs.append((swap.colleague_shift_id, swap.colleague_id, swap.requester_id))
    for shift_id, giver, taker in pairs:
        shift = session.get(Shift, shift_id)
        own = _own_assignment(shift, giver) if shift else None
        if own is None:
            raise RequestNotValid(_("The shift is no longer on the rota as it was when the swap was asked."))
        changes.append({"op": "remove", "assignment_id": own.id})
        changes.append({"op": "add", "shift_id": shift_id, "duty": own.duty, "user_id": taker, "skill": own.skill})
    return changes


def new_errors(before: list[Issue], after: list[Issue]) -> list[Issue]:
    """Return the hard errors in `after` that were not already in `before`."""
    seen = {(i.rule, i.shift_id, i.user_id) for i in before}
    return [i for i in after if i.severity == ERROR and (i.rule, i.shift_id, i.user_id) not in seen]


def decide_swap(
    session: Session, swap_id: int, approve: bool, actor: User, now: datetime, note: str | None = None
) -> SwapRequest:
    """Approve (after checking the rules again) or refuse a swap; commit; tell both people.

    Raises:
        NotFound: no such swap.
        RequestNotValid: not pending any more, or approving would break a hard rule (errors attached).
    """
    swap = session.get(SwapRequest, swap_id)
    if swap is None:
        raise NotFound(f"swap {swap_id}")
    if swap.status != PENDING:
        raise RequestNotValid(_("This request has already been decided."))
    changes: list[dict[str, Any]] = []
    if approve:
        shift_changes = swap_changes(session, swap)
        shifts = [session.get(Shift, swap.shift_id)] + (
            [session.get(Shift, swap.colleague_shift_id)] if swap.colleague_shift_id else []
        )
        first = min(_local_date(s.starts_at) for s in shifts)
        last = max(_local_date(s.starts_at) for s in shifts)
        before = validate(session, first, last, PUBLISHED)
        broken = new_errors(before, validate(session, first, last, PUBLISHED, shift_changes))
        if broken:
            raise RequestNotValid(_("Approving this swap would break the rota's rules."), [i.as_dict() for i in broken])
        changes = _apply_swap(session, swap)
        record_version(session, "swap", first, last, actor, now, changes)
    swap.status = APPROVED if approve else REFUSED
    swap.decided_by_id, swap.decided_at, swap.decision_note = actor.id, now, note or None
    notices = [
        _tell(
            session,
            person,
            "swap",
            _("Your swap request was approved.") if approve else _("Your swap request was refused."),
            swap.id,
        )
        for person in (swap.requester, swap.colleague)
    ]
    session.commit()
    announce(notices)
    if approve:
        push.rota_changed({"event": "swap", "swap": swap.id})
    return swap


def _apply_swap(session: Session, swap: SwapRequest) -> list[dict[str, Any]]:
    """Move the duties between the two people in both layers; return the changes."""
    changes: list[dict[str, Any]] = []
    pairs = [(swap.shift_id, swap.requester_id, swap.colleague_id)]
    if swap.colleague_shift_id is not None:
        pairs.append((swap.colleague_shift_id, swap.colleague_id, swap.requester_id))
    for shift_id, giver, taker in pairs:
        shift = session.get(Shift, shift_id)
        for layer in (PUBLISHED, DRAFT):
            own = _own_assignment(shift, giver, layer)
            if own is None or _own_assignment(shift, taker, layer) is not None:
                continue
            if layer == PUBLISHED:
                changes.append(change_row(shift, own, "removed"))
            own.user_id = taker
            session.flush()
            session.refresh(own)
            if layer == PUBLISHED:
                changes.append(change_row(shift, own, "added"))
    return changes


def request_leave(
    session: Session, user: User, starts_at: datetime, ends_at: datetime, now: datetime, reason: str | None = None
) -> LeaveRequest:
    """Ask for leave between two moments; commit; tell the managers.

    Raises:
        RequestNotValid: the end is not after the start, or the leave is in the past.
    """
    if ends_at <= starts_at or ends_at <= now:
        raise RequestNotValid(_("Leave must end after it starts, and not be over already."))
    leave = LeaveRequest(user_id=user.id, starts_at=starts_at, ends_at=ends_at, reason=reason or None, created_at=now)
    session.add(leave)
    session.flush()
    notices = _tell_managers(session, "leave", _("%(name)s asks for leave.", name=user.display_name), leave.id)
    session.commit()
    announce(notices)
    return leave


def leave_shifts(session: Session, leave: LeaveRequest, now: datetime) -> list[Shift]:
    """Return the not-yet-ended shifts where the person has a duty (either layer) during the leave."""
    found: dict[int, Shift] = {}
    for model in (ShiftAssignment, DraftAssignment):
        shifts = session.scalars(
            select(Shift)
            .join(model, model.shift_id == Shift.id)
            .where(
                model.user_id == leave.user_id,
                Shift.starts_at < leave.ends_at,
                Shift.ends_at > leave.starts_at,
                Shift.ends_at > now,
            )
        )
        found.update({shift.id: shift for shift in shifts})
    return sorted(found.values(), key=lambda shift: shift.starts_at)


def decide_leave(
    session: Session, leave_id: int, approve: bool, actor: User, now: datetime, note: str | None = None
) -> tuple[LeaveRequest, list[Issue]]:
    """Approve or refuse leave; on approval take the person off the shifts it covers; commit.

    Returns:
        The request and the rota issues after the decision (gaps to fill, for the manager).

    Raises:
        NotFound, RequestNotValid (not pending).
    """
    leave = session.get(LeaveRequest, leave_id)
    if leave is None:
        raise NotFound(f"leave {leave_id}")
    if leave.status != PENDING:
        raise RequestNotValid(_("This request has already been decided."))
    leave.status = APPROVED if approve else REFUSED
    leave.decided_by_id, leave.decided_at, leave.decision_note = actor.id, now, note or None
    shifts = leave_shifts(session, leave, now) if approve else []
    changes: list[dict[str, Any]] = []
    for shift in shifts:
        for assignment in [a for a in shift.assignments if a.user_id == leave.user_id]:
            changes.append(change_row(shift, assignment, "removed"))
            shift.assignments.remove(assignment)
        for draft in [a for a in shift.draft_assignments if a.user_id == leave.user_id]:
            shift.draft_assignments.remove(draft)
    if changes:
        record_version(
            session, "leave", _local_date(shifts[0].starts_at), _local_date(shifts[-1].starts_at), actor, now, changes
        )
    text = _("Your leave request was approved.") if approve else _("Your leave request was refused.")
    notices = [_tell(session, leave.user, "leave", text, leave.id)]
    session.commit()
    announce(notices)
    issues: list[Issue] = []
    if shifts:
        issues = validate(session, _local_date(shifts[0].starts_at), _local_date(shifts[-1].starts_at), PUBLISHED)
        push.rota_changed({"event": "leave", "leave": leave.id})
    return leave, issues


def cancel_request(session: Session, user: User, kind: str, request_id: int) -> None:
    """Let a worker withdraw their own pending swap or leave request; commit."""
    model = SwapRequest if kind == "swap" else LeaveRequest
    row = session.get(model, request_id)
    owner = getattr(row, "requester_id", None) or getattr(row, "user_id", None)
    if row is None or owner != user.id or row.status != PENDING:
        raise NotFound(f"{kind} {request_id}")
    row.status = CANCELLED
    session.commit()


def pending(session: Session) -> tuple[list[SwapRequest], list[LeaveRequest]]:
    """Return the pending swap and leave requests, oldest first."""
    swaps = session.scalars(select(SwapRequest).where(SwapRequest.status == PENDING).order_by(SwapRequest.id))
    leaves = session.scalars(select(LeaveRequest).where(LeaveRequest.status == PENDING).order_by(LeaveRequest.id))
    return list(swaps), list(leaves)


def requests_of(session: Session, user: User) -> tuple[list[SwapRequest], list[LeaveRequest]]:
    """Return a person's own swap and leave requests, newest first."""
    swaps = session.scalars(
        select(SwapRequest).where(SwapRequest.requester_id == user.id).order_by(SwapRequest.id.desc())
    )
    leaves = session.scalars(
        select(LeaveRequest).where(LeaveRequest.user_id == user.id).order_by(LeaveRequest.id.desc())
    )
    return list(swaps), list(leaves)


def _tell(session: Session, user: User, kind: str, body: str, request_id: int) -> RotaNotice | None:
    return add_notice(session, user, kind, body, {"request": request_id}, sms=False)


def _tell_managers(session: Session, kind: str, body: str, request_id: int) -> list[RotaNotice | None]:
    return [_tell(session, manager, kind, body, request_id) for manager in managers(session)]
