"""The work order's state machine: dispatch, sign for, handle, extend, return, submit, close.

Every action re-reads the order, checks its state and the actor's unit, and
moves it with a conditional UPDATE on (id, version): of two members signing at
once, one wins and the other gets WrongState. Each change appends an event to
the order's log and a `work_order` event to the case's timeline, in the same
transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hotline.accounts.models import User
from hotline.cases.models import Case, CaseEvent
from hotline.directory.models import Organisation, Station, Volunteer
from hotline.escalation.models import Escalation, Referral
from hotline.vocabulary import Role
from hotline.workorders.deadlines import due_times
from hotline.workorders.exceptions import BadInput, NotYourOrder, OrderNotFound, WrongState
from hotline.workorders.models import (
    WITH_UNIT,
    ExtensionState,
    OrderState,
    StationMember,
    WorkOrder,
    WorkOrderEvent,
)

MAX_TEXT = 4000
UNIT_KINDS = ("station", "organisation", "volunteer")
UNIT_MODELS: dict[str, Any] = {"station": Station, "organisation": Organisation, "volunteer": Volunteer}


def clean_text(value: str | None, field: str, *, required: bool = True) -> str | None:
    """Return a stripped text, refusing one that is missing (when required) or too long."""
    text = (value or "").strip()
    if not text:
        if required:
            raise BadInput(field, "required")
        return None
    if len(text) > MAX_TEXT:
        raise BadInput(field, f"at most {MAX_TEXT} characters")
    return text


def get_order(session: Session, order_id: int) -> WorkOrder:
    """Return an order or raise OrderNotFound."""
    order = session.get(WorkOrder, order_id)
    if order is None:
        raise OrderNotFound(str(order_id))
    return order


def member_unit(session: Session, user_id: int) -> tuple[str, int] | None:
    """Return the unit ("station", id) or ("organisation", id) a station account belongs to."""
    member = session.scalar(select(StationMember).where(StationMember.user_id == user_id))
    return member.unit_key if member is not None else None


def set_membership(session: Session, user_id: int, *, station_id: int | None, organisation_id: int | None) -> None:
    """Make a user a member of one station or organisation (replacing any other); commit."""
    if (station_id is None) == (organisation_id is None):
        raise BadInput("unit", "one station or one organisation")
    member = session.scalar(select(StationMember).where(StationMember.user_id == user_id))
    if member is None:
        member = StationMember(user_id=user_id)
        session.add(member)
    member.station_id, member.organisation_id = station_id, organisation_id
    session.commit()


def check_actor(session: Session, order: WorkOrder, actor: User | None, referral_id: int | None = None) -> None:
    """Refuse an actor who is not a member of the order's unit (a link must be the order's referral).

    Raises:
        NotYourOrder
    """
    if actor is None:
        if referral_id is None or referral_id != order.referral_id:
            raise NotYourOrder(order.reference)
        return
    unit = member_unit(session, actor.id)
    if unit is None or unit != order.unit_key:
        raise NotYourOrder(order.reference)


def log(
    session: Session,
    order: WorkOrder,
    kind: str,
    now: datetime,
    *,
    actor_id: int | None = None,
    via: str = "page",
    dedupe_key: str | None = None,
    **detail: Any,
) -> WorkOrderEvent:
    """Append an event to the order's log and to the case's timeline."""
    if order.unit_key is not None:
        detail.setdefault("at_unit", f"{order.unit_key[0]}:{order.unit_key[1]}")
    event = WorkOrderEvent(
        order_id=order.id,
        kind=kind,
        at=now,
        actor_id=actor_id,
        via=via,
        state=order.state,
        dedupe_key=dedupe_key,
        detail=detail,
    )
    session.add(event)
    if order.case_id is not None:
        session.add(
            CaseEvent(
                case_id=order.case_id,
                kind="work_order",
                at=now,
                actor_id=actor_id,
                data={"order": order.reference, "change": kind, "state": order.state, "unit": order.unit_name},
            )
        )
    return event


def move(session: Session, order: WorkOrder, expected: tuple[str, ...], **values: Any) -> None:
    """Change the order if it is still in an expected state at the version read; else WrongState.

    A conditional UPDATE: two actors who read the same version cannot both win.
    """
    if order.state not in expected:
        raise WrongState(order.state)
    result = session.execute(
        update(WorkOrder)
        .where(WorkOrder.id == order.id, WorkOrder.version == order.version, WorkOrder.state.in_(expected))
        .values(version=WorkOrder.version + 1, **values)
    )
    if result.rowcount != 1:
        session.rollback()
        fresh = session.get(WorkOrder, order.id, populate_existing=True)
        raise WrongState(fresh.state if fresh is not None else "gone")
    session.refresh(order)


def unit_of_referral(session: Session, referral: Referral) -> tuple[str, int, str] | None:
    """Return (kind, id, name) of a referral to a station or organisation, else None."""
    if referral.station_id is not None:
        station = session.get(Station, referral.station_id)
        return ("station", referral.station_id, station.name if station else referral.target_name or "")
    if referral.organisation_id is not None:
        organisation = session.get(Organisation, referral.organisation_id)
        return ("organisation", referral.organisation_id, organisation.name if organisation else "")
    if referral.volunteer_id is not None:
        volunteer = session.get(Volunteer, referral.volunteer_id)
        return ("volunteer", referral.volunteer_id, volunteer.name if volunteer else referral.target_name or "")
    return None


def unit_name(session: Session, kind: str, unit_id: int) -> str:
    """Return a station's, organisation's or volunteer's name; BadInput if there is none active."""
    unit = session.get(UNIT_MODELS[kind], unit_id) if kind in UNIT_KINDS else None
    if unit is None or not unit.active:
        raise BadInput("unit", "no such active unit")
    return unit.name


def link_referral(
    session: Session,
    order: WorkOrder,
    volunteer_id: int,
    sign_due_at: datetime | None,
    actor_id: int | None,
    now: datetime,
) -> Referral:
    """Return a new referral for the single-use signed link of an order going to a volunteer (no account).

    The referral stands outside any chain: the responder link names it, the order
    follows it (`referral_id`), and it ends when the volunteer returns the order or
    the order closes, so the link dies with it.
    """
    volunteer = session.get(Volunteer, volunteer_id)
    referral = Referral(
        case_id=order.case_id,
        escalation_id=None,
        reason=order.reason,
        urgency=order.urgency,
        status="notified",
        target_kind="volunteer",
        target_id=volunteer_id,
        target_name=volunteer.name if volunteer is not None else "",
        target_phone=volunteer.phone if volunteer is not None else None,
        volunteer_id=volunteer_id,
        note=order.request_text,
        due_at=sign_due_at,
        created_by_id=actor_id,
        created_at=now,
    )
    session.add(referral)
    session.flush()
    return referral


def next_reference(session: Session, now: datetime) -> str:
    """Return the next order reference: GD-YYYYMMDD-NNNN."""
    prefix = f"GD-{now:%Y%m%d}-"
    taken = session.scalars(select(WorkOrder.reference).where(WorkOrder.reference.like(f"{prefix}%"))).all()
    number = max((int(ref.rsplit("-", 1)[1]) for ref in taken), default=0) + 1
    return f"{prefix}{number:04d}"


def set_unit(kind: str, unit_id: int, name: str) -> dict[str, Any]:
    """Return the column values that put the order with a unit."""
    return {
        "station_id": unit_id if kind == "station" else None,
        "organisation_id": unit_id if kind == "organisation" else None,
        "volunteer_id": unit_id if kind == "volunteer" else None,
        "unit_name": name,
    }


def dispatch_from_referral(session: Session, referral_id: int, now: datetime) -> WorkOrder | None:
    """Open the order of a station or organisation referral, or move the chain's order to it; commit.

    One order per escalation: when the chain passes an unsigned order on to the
    next station, the order is re-dispatched there (by the chain). Returns None for
    a referral to anyone else.
    """
    referral = session.get(Referral, referral_id)
    if referral is None:
        return None
    unit = unit_of_referral(session, referral)
    if unit is None:
        return None
    kind, unit_id, name = unit
    order = None
    if referral.escalation_id is not None:
        order = session.scalar(select(WorkOrder).where(WorkOrder.escalation_id == referral.escalation_id))
    if order is not None:
        if order.referral_id == referral.id or order.state != OrderState.DISPATCHED:
            return order
        sign_due, handle_due = due_times(session, order.urgency, now)
        move(
            session,
            order,
            (OrderState.DISPATCHED.value,),
            referral_id=referral.id,
            dispatched_at=now,
            sign_due_at=sign_due,
            handle_due_at=handle_due,
            sign_overdue_at=None,
            handle_overdue_at=None,
            centre_told_at=None,
            **set_unit(kind, unit_id, name),
        )
        log(session, order, "redispatched", now, via="chain", unit=name)
        session.commit()
        return order
    escalation = session.get(Escalation, referral.escalation_id) if referral.escalation_id else None
    sign_due, handle_due = due_times(session, referral.urgency, now)
    order = WorkOrder(
        reference=next_reference(session, now),
        case_id=referral.case_id,
        escalation_id=referral.escalation_id,
        referral_id=referral.id,
        state=OrderState.DISPATCHED.value,
        urgency=referral.urgency,
        reason=referral.reason,
        request_text=referral.note,
        area_id=escalation.area_id if escalation is not None else None,
        dispatched_at=now,
        sign_due_at=sign_due,
        handle_due_at=handle_due,
        created_by_id=referral.created_by_id,
        version=0,
        **set_unit(kind, unit_id, name),
    )
    session.add(order)
    session.flush()
    log(session, order, "dispatched", now, via="chain", unit=name, actor_id=referral.created_by_id)
    session.commit()
    return order


def dispatch_to_unit(
    session: Session,
    *,
    case_id: int | None,
    kind: str,
    unit_id: int,
    urgency: str,
    reason: str,
    request_text: str | None,
    actor_id: int | None,
    now: datetime,
) -> WorkOrder:
    """Dispatch an order straight to a station, organisation or volunteer (without an escalation chain); commit.

    A volunteer's order gets the signed link's referral (`link_referral`).

    Raises:
        BadInput: no such active unit, or an unknown urgency.
    """
    name = unit_name(session, kind, unit_id)
    if urgency not in ("normal", "urgent", "emergency"):
        raise BadInput("urgency", "normal, urgent or emergency")
    case = session.get(Case, case_id) if case_id is not None else None
    sign_due, handle_due = due_times(session, urgency, now)
    order = WorkOrder(
        reference=next_reference(session, now),
        case_id=case_id,
        state=OrderState.DISPATCHED.value,
        urgency=urgency,
        reason=reason,
        request_text=clean_text(request_text, "request", required=False),
        area_id=case.area_id if case is not None else None,
        dispatched_at=now,
        sign_due_at=sign_due,
        handle_due_at=handle_due,
        created_by_id=actor_id,
        version=0,
        **set_unit(kind, unit_id, name),
    )
    session.add(order)
    session.flush()
    if kind == "volunteer":
        order.referral_id = link_referral(session, order, unit_id, sign_due, actor_id, now).id
    log(session, order, "dispatched", now, actor_id=actor_id, via="board", unit=name)
    session.commit()
    return order


def acknowledge_referral(session: Session, order: WorkOrder, now: datetime, actor_id: int | None, via: str) -> None:
    """Tell the escalation the unit owns the referral (its chain stops); an answer already given is left."""
    from hotline.escalation import services as escalation_services
    from hotline.escalation.exceptions import AlreadyAnswered, ReferralExpired

    if order.referral_id is None:
        return
    try:
        escalation_services.respond(session, order.referral_id, "accept", now=now, via=via, actor_id=actor_id)
    except (AlreadyAnswered, ReferralExpired):
        session.rollback()


def unit_order(
    session: Session, order_id: int, actor: User | None, referral_id: int | None
) -> tuple[WorkOrder, int | None]:
    """Return the order and the actor's id, refusing anyone but a member of its unit (or its referral's link).

    Raises:
        OrderNotFound, NotYourOrder
    """
    order = get_order(session, order_id)
    check_actor(session, order, actor, referral_id)
    return order, (actor.id if actor else None)


def supervisors_order(session: Session, order_id: int, actor: User | None) -> WorkOrder:
    """Return the order for a supervisor's action, refusing anyone below supervisor.

    Raises:
        OrderNotFound, NotYourOrder
    """
    order = get_order(session, order_id)
    require_supervisor(actor, order)
    return order


def transition(
    session: Session,
    order: WorkOrder,
    expected: tuple[str, ...],
    kind: str,
    now: datetime,
    *,
    actor_id: int | None,
    via: str,
    values: dict[str, Any] | None = None,
    **detail: Any,
) -> WorkOrder:
    """Change the order from an expected state (a conditional UPDATE), log the change as `kind`, commit.

    The one way an action moves an order; WrongState when another actor moved it first.
    """
    move(session, order, expected, **(values or {}))
    log(session, order, kind, now, actor_id=actor_id, via=via, **detail)
    session.commit()
    return order


def record_signing(
    session: Session, order: WorkOrder, *, at: datetime, now: datetime, actor_id: int | None, via: str
) -> WorkOrder:
    """Sign a dispatched order for its unit as of `at` (on time or late), logged at `now`; commit.

    Raises:
        WrongState (no longer dispatched: another member, or the scheduler, signed first).
    """
    on_time = order.sign_due_at is None or at <= order.sign_due_at
    values = {"state": OrderState.SIGNED.value, "signed_at": at, "signed_by_id": actor_id, "signed_on_time": on_time}
    return transition(
        session,
        order,
        (OrderState.DISPATCHED.value,),
        "signed",
        now,
        actor_id=actor_id,
        via=via,
        values=values,
        on_time=on_time,
    )


def sign(
    session: Session,
    order_id: int,
    *,
    actor: User | None,
    now: datetime,
    via: str = "page",
    referral_id: int | None = None,
) -> WorkOrder:
    """Sign for a dispatched order (签收); its chain stops. Of two members at once, one wins.

    Raises:
        OrderNotFound, NotYourOrder, WrongState (already signed, returned, closed).
    """
    order, actor_id = unit_order(session, order_id, actor, referral_id)
    record_signing(session, order, at=now, now=now, actor_id=actor_id, via=via)
    acknowledge_referral(session, order, now, actor_id, via)
    return order


def add_note(
    session: Session,
    order_id: int,
    body: str | None,
    *,
    actor: User | None,
    now: datetime,
    via: str = "page",
    referral_id: int | None = None,
) -> WorkOrder:
    """Add a handling note; a signed order is now in progress.

    Raises:
        OrderNotFound, NotYourOrder, WrongState (not signed yet, or done), BadInput (empty or too long).
    """
    order, actor_id = unit_order(session, order_id, actor, referral_id)
    text = clean_text(body, "note")
    start_handling(session, order, now, actor_id, via)
    log(session, order, "note", now, actor_id=actor_id, via=via, note=text)
    session.commit()
    return order


def start_handling(session: Session, order: WorkOrder, now: datetime, actor_id: int | None, via: str) -> None:
    """Move a signed order to in progress (logged); an order in progress stays; others raise WrongState."""
    if order.state == OrderState.IN_PROGRESS:
        move(session, order, (OrderState.IN_PROGRESS.value,))
        return
    move(session, order, (OrderState.SIGNED.value,), state=OrderState.IN_PROGRESS.value)
    log(session, order, "started", now, actor_id=actor_id, via=via)


HANDLING = (OrderState.SIGNED.value, OrderState.IN_PROGRESS.value)
"""States in which the unit is handling the order."""


def request_extension(
    session: Session,
    order_id: int,
    *,
    until: datetime | None,
    reason: str | None,
    actor: User | None,
    now: datetime,
    via: str = "page",
    referral_id: int | None = None,
) -> WorkOrder:
    """Ask the supervisor for more time (延期) until a later moment, with a reason.

    Raises:
        OrderNotFound, NotYourOrder, WrongState (not being handled, or a request already waiting), BadInput.
    """
    order, actor_id = unit_order(session, order_id, actor, referral_id)
    text = clean_text(reason, "reason")
    if until is None or (order.handle_due_at is not None and until <= order.handle_due_at) or until <= now:
        raise BadInput("until", "later than the current deadline")
    if order.extension_state == ExtensionState.REQUESTED:
        raise WrongState(ExtensionState.REQUESTED.value)
    values = {"extension_state": ExtensionState.REQUESTED.value, "extension_until": until, "extension_reason": text}
    return transition(
        session,
        order,
        HANDLING,
        "extension_requested",
        now,
        actor_id=actor_id,
        via=via,
        values=values,
        until=until.isoformat(),
        reason=text,
    )


def decide_extension(session: Session, order_id: int, *, grant: bool, actor: User, now: datetime) -> WorkOrder:
    """Grant (the handling deadline moves) or refuse a requested extension; supervisors only.

    Raises:
        OrderNotFound, NotYourOrder (not a supervisor), WrongState (no request waiting).
    """
    order = supervisors_order(session, order_id, actor)
    if order.extension_state != ExtensionState.REQUESTED:
        raise WrongState(order.extension_state or order.state)
    values: dict[str, Any] = {"extension_state": (ExtensionState.GRANTED if grant else ExtensionState.REFUSED).value}
    if grant:
        values.update(handle_due_at=order.extension_until, extensions=order.extensions + 1, handle_overdue_at=None)
    kind = "extension_granted" if grant else "extension_refused"
    return transition(session, order, HANDLING, kind, now, actor_id=actor.id, via="board", values=values)


def require_supervisor(actor: User | None, order: WorkOrder) -> None:
    """Refuse anyone below supervisor."""
    if actor is None or not actor.has_role(Role.SUPERVISOR):
        raise NotYourOrder(order.reference)


def return_order(
    session: Session,
    order_id: int,
    reason: str | None,
    *,
    actor: User | None,
    now: datetime,
    via: str = "page",
    referral_id: int | None = None,
) -> WorkOrder:
    """Return an order that is not the unit's to handle (退单), with a reason; it goes to the supervisor on duty.

    A chain still running for it stops, so the supervisor decides where it goes next.

    Raises:
        OrderNotFound, NotYourOrder, WrongState, BadInput (no reason).
    """
    order, actor_id = unit_order(session, order_id, actor, referral_id)
    text = clean_text(reason, "reason")
    values = {"state": OrderState.RETURNED.value, "returns": order.returns + 1}
    transition(
        session,
        order,
        WITH_UNIT,
        "returned",
        now,
        actor_id=actor_id,
        via=via,
        values=values,
        reason=text,
        unit=order.unit_name,
    )
    finish_referral(session, order, "could_not_help", f"{order.reference}: {text}", now, actor_id)
    end_link(session, order, now, actor_id)
    stop_chain(session, order, now, actor_id, why=f"work order {order.reference} returned")
    return order


def end_link(session: Session, order: WorkOrder, now: datetime, actor_id: int | None) -> None:
    """Decline a volunteer's link referral returned before it was signed for, so its link dies too."""
    from hotline.escalation import services as escalation_services
    from hotline.escalation.exceptions import AlreadyAnswered, ReferralExpired, ReferralNotFound

    referral = session.get(Referral, order.referral_id) if order.referral_id is not None else None
    if referral is None or referral.escalation_id is not None or referral.status != "notified":
        return
    try:
        escalation_services.respond(session, referral.id, "decline", now=now, via="workorder", actor_id=actor_id)
    except (AlreadyAnswered, ReferralExpired, ReferralNotFound):
        session.rollback()


def finish_referral(
    session: Session, order: WorkOrder, outcome: str, note: str | None, now: datetime, actor_id: int | None
) -> None:
    """Close the referral the unit owned with an outcome, so the case can close; one not owned is left.

    The order is the referral's follow-through: when the unit returns it, or the order closes, the
    referral's part is over (`outcome` one of hotline.escalation.services.OUTCOMES).
    """
    from hotline.escalation import services as escalation_services
    from hotline.escalation.exceptions import AlreadyAnswered, NotOwned, ReferralNotFound

    if order.referral_id is None:
        return
    try:
        escalation_services.complete(
            session, order.referral_id, outcome=outcome, note=note, now=now, via="workorder", actor_id=actor_id
        )
    except (AlreadyAnswered, NotOwned, ReferralNotFound):
        session.rollback()


def stop_chain(session: Session, order: WorkOrder, now: datetime, actor_id: int | None, *, why: str) -> None:
    """Stop the order's escalation chain if it is still running; `why` goes in the escalation's log."""
    from hotline.escalation import services as escalation_services
    from hotline.escalation.exceptions import ReferralExpired, ReferralNotFound

    if order.escalation_id is None:
        return
    try:
        escalation_services.cancel(session, order.escalation_id, actor_id=actor_id, now=now, why=why)
    except (ReferralExpired, ReferralNotFound):
        session.rollback()


def redispatch(
    session: Session, order_id: int, *, kind: str, unit_id: int, actor: User, now: datetime, note: str | None = None
) -> WorkOrder:
    """Send a returned order to another unit (改派) with fresh deadlines; supervisors only.

    A volunteer gets a new link's referral; the link of the unit before no longer leads to the order.

    Raises:
        OrderNotFound, NotYourOrder (not a supervisor), WrongState (not returned), BadInput (no such unit,
        or the unit that returned it).
    """
    order = supervisors_order(session, order_id, actor)
    name = unit_name(session, kind, unit_id)
    if order.state == OrderState.RETURNED and (kind, unit_id) == order.unit_key:
        raise BadInput("unit", "the order was returned by this unit")
    text = clean_text(note, "note", required=False)
    sign_due, handle_due = due_times(session, order.urgency, now)
    values = {
        "state": OrderState.DISPATCHED.value,
        "referral_id": None,
        "dispatched_at": now,
        "sign_due_at": sign_due,
        "handle_due_at": handle_due,
        "signed_at": None,
        "signed_by_id": None,
        "sign_overdue_at": None,
        "handle_overdue_at": None,
        "centre_told_at": None,
        "extension_state": None,
        **set_unit(kind, unit_id, name),
    }
    if kind == "volunteer":
        values["referral_id"] = link_referral(session, order, unit_id, sign_due, actor.id, now).id
    return transition(
        session,
        order,
        (OrderState.RETURNED.value,),
        "redispatched",
        now,
        actor_id=actor.id,
        via="board",
        values=values,
        unit=name,
        note=text,
    )


def take_back(session: Session, order_id: int, *, actor: User, now: datetime, note: str | None = None) -> WorkOrder:
    """The hotline takes a returned order back: the order closes and the case stays with the hotline.

    Raises:
        OrderNotFound, NotYourOrder (not a supervisor), WrongState (not returned).
    """
    order = supervisors_order(session, order_id, actor)
    values = {"state": OrderState.CLOSED.value, "closed_at": now}
    return transition(
        session,
        order,
        (OrderState.RETURNED.value,),
        "taken_back",
        now,
        actor_id=actor.id,
        via="board",
        values=values,
        note=clean_text(note, "note", required=False),
    )


def supervise(session: Session, order_id: int, note: str | None, *, actor: User, now: datetime) -> WorkOrder:
    """Mark an open order 督办 with a note; supervisors only.

    Raises:
        OrderNotFound, NotYourOrder (not a supervisor), WrongState (closed), BadInput (no note).
    """
    order = supervisors_order(session, order_id, actor)
    text = clean_text(note, "note")
    if order.state == OrderState.CLOSED:
        raise WrongState(order.state)
    values = {"supervised_at": now, "supervised_by_id": actor.id, "supervision_note": text}
    return transition(
        session, order, (order.state,), "supervised", now, actor_id=actor.id, via="board", values=values, note=text
    )


def units_for_user(session: Session, user_id: int) -> list[WorkOrder]:
    """Return the open orders of a station account's unit, nearest deadline first."""
    unit = member_unit(session, user_id)
    if unit is None:
        return []
    kind, unit_id = unit
    column = {"station": WorkOrder.station_id, "organisation": WorkOrder.organisation_id}.get(
        kind, WorkOrder.volunteer_id
    )
    orders = list(session.scalars(select(WorkOrder).where(column == unit_id, WorkOrder.state.in_(WITH_UNIT))))
    far = datetime.max.replace(tzinfo=UTC)
    return sorted(orders, key=lambda order: (order.deadline() or far, order.id))
