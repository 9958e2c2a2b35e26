"""What the work-order pages show: an order's view, the supervisor's board, the suggested next unit."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from hotline.accounts.models import User
from hotline.directory.models import Area, Organisation, Station, Volunteer
from hotline.directory.services import station_targets
from hotline.vocabulary import OrganisationKind, Role, label
from hotline.workorders.duplicates import Duplicate, open_duplicates
from hotline.workorders.exceptions import BadInput
from hotline.workorders.models import (
    WITH_UNIT,
    ExtensionState,
    OrderState,
    WorkOrder,
    WorkOrderAttachment,
    WorkOrderEvent,
    state_label,
)
from hotline.workorders.services import member_unit


@dataclass
class OrderView:
    """One order as its unit sees it: what is asked, where, by when, what happened."""

    order: WorkOrder
    area: str | None
    summary: str | None
    caller_name: str | None
    caller_number: str | None
    shared: bool
    events: list[WorkOrderEvent]
    attachments: list[WorkOrderAttachment]


def order_view(session: Session, order: WorkOrder) -> OrderView:
    """Return the order's page: the caller's name and number only with the caller's consent to share."""
    case = order.case
    area = session.get(Area, order.area_id) if order.area_id else (case.area if case is not None else None)
    shared = bool(case is not None and case.consent_share)
    events = list(
        session.scalars(select(WorkOrderEvent).where(WorkOrderEvent.order_id == order.id).order_by(WorkOrderEvent.id))
    )
    files = list(
        session.scalars(
            select(WorkOrderAttachment).where(WorkOrderAttachment.order_id == order.id).order_by(WorkOrderAttachment.id)
        )
    )
    return OrderView(
        order=order,
        area=area.name if area is not None else None,
        summary=case.summary if case is not None else None,
        caller_name=case.caller_name if shared else None,
        caller_number=case.caller_phone if shared else None,
        shared=shared,
        events=events,
        attachments=files,
    )


def may_view(session: Session, order: WorkOrder, user: User) -> bool:
    """Return whether a user may see an order: a member of its unit, or a supervisor."""
    if user.has_role(Role.SUPERVISOR):
        return True
    unit = member_unit(session, user.id)
    return unit is not None and unit == order.unit_key


def unit_label(session: Session, user_id: int) -> str | None:
    """Return the name of a station account's unit."""
    unit = member_unit(session, user_id)
    if unit is None:
        return None
    model = {"station": Station, "organisation": Organisation}.get(unit[0], Volunteer)
    found = session.get(model, unit[1])
    return found.name if found is not None else None


def order_for_referral(session: Session, referral_id: int) -> WorkOrder | None:
    """Return the order a referral's link leads to (the order must still be with that referral)."""
    return session.scalar(select(WorkOrder).where(WorkOrder.referral_id == referral_id))


def referral_order(referral_id: int) -> WorkOrder | None:
    """Return the order a referral's responder page may link to (for the escalation's template)."""
    from hotline.extensions import db

    return order_for_referral(db.session, referral_id)


def refusal_text(state: str) -> str:
    """Return why an action was refused, for the page."""
    if state == ExtensionState.REQUESTED:
        return _("An extension request is already waiting for the supervisor.")
    return _("This cannot be done now: the order is %(state)s.", state=state_label(state))


INPUT_TEXTS = {
    "note": _l("Write the note."),
    "reason": _l("Give the reason."),
    "result": _l("Write what was done."),
    "until": _l("Choose a new deadline later than the current one."),
    "unit": _l("Choose another active station, organisation or volunteer."),
    "satisfaction": _l("Satisfaction is a number from 1 to 5."),
    "resolved": _l("Say whether the matter is resolved."),
    "into": _l("These two orders are not about the same matter."),
}


DUPLICATE_REASONS = {
    "case": _l("Same case"),
    "caller": _l("Same caller"),
    "area": _l("Same area and reason"),
}


def input_text(problem: BadInput) -> str:
    """Return a bad input's message for the page."""
    return str(INPUT_TEXTS.get(problem.field, _l("Check what was entered.")))


def unit_choices(session: Session) -> list[tuple[str, str]]:
    """Return every active station, organisation and volunteer as ("station:<id>", name) choices.

    An organisation's choice names its type; a volunteer's says volunteer.
    """
    stations = session.scalars(select(Station).where(Station.active.is_(True)).order_by(Station.tier, Station.name))
    organisations = session.scalars(
        select(Organisation).where(Organisation.active.is_(True)).order_by(Organisation.name)
    )
    volunteers = session.scalars(select(Volunteer).where(Volunteer.active.is_(True)).order_by(Volunteer.name))
    return (
        [(f"station:{s.id}", s.name) for s in stations]
        + [(f"organisation:{o.id}", f"{o.name}（{label(o.kind, OrganisationKind)}）") for o in organisations]
        + [(f"volunteer:{v.id}", _("%(name)s (volunteer)", name=v.name)) for v in volunteers]
    )


def tried_units(session: Session, order: WorkOrder) -> set[str]:
    """Return the units the order has been with ("station:<id>"), from its events and its current unit."""
    tried = set()
    if order.unit_key is not None:
        tried.add(f"{order.unit_key[0]}:{order.unit_key[1]}")
    names = {
        e.detail.get("unit") for e in session.scalars(select(WorkOrderEvent).where(WorkOrderEvent.order_id == order.id))
    }
    for station in session.scalars(select(Station).where(Station.name.in_([n for n in names if n]))):
        tried.add(f"station:{station.id}")
    return tried


def suggest_unit(session: Session, order: WorkOrder) -> str | None:
    """Suggest the next covering station by area: up the area tree, then the nearest, then the centre."""
    area_id = order.area_id or (order.case.area_id if order.case is not None else None)
    return covering_station(session, area_id, tried_units(session, order))


def covering_station(session: Session, area_id: int | None, tried: set[str] | None = None) -> str | None:
    """Return the first station covering an area ("station:<id>") that is not among `tried`."""
    for target in station_targets(session, area_id, None, None):
        key = f"station:{target.id}"
        if key not in (tried or set()):
            return key
    return None


@dataclass
class ReturnedItem:
    """A returned order on the board, with the units it may go to and the suggestion."""

    order: WorkOrder
    reason: str | None
    suggested: str | None
    choices: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class SupervisorBoard:
    """The supervisor's view of work orders."""

    returned: list[ReturnedItem]
    late: list[WorkOrder]
    extensions: list[WorkOrder]
    open_orders: list[WorkOrder]
    return_calls: list[WorkOrder]
    now: datetime
    duplicates: list[Duplicate] = field(default_factory=list)


def last_reason(order: WorkOrder) -> str | None:
    """Return the reason of the order's last return."""
    for event in reversed(order.events):
        if event.kind == "returned":
            return event.detail.get("reason")
    return None


def supervisor_board(session: Session, now: datetime) -> SupervisorBoard:
    """Return the board: returned orders first, then late ones, extension requests, every open order."""
    choices = unit_choices(session)
    returned = [
        ReturnedItem(order, last_reason(order), suggest_unit(session, order), choices)
        for order in session.scalars(
            select(WorkOrder).where(WorkOrder.state == OrderState.RETURNED.value).order_by(WorkOrder.id)
        )
    ]
    late = list(
        session.scalars(
            select(WorkOrder)
            .where(
                WorkOrder.state.in_(WITH_UNIT),
                or_(WorkOrder.sign_overdue_at.is_not(None), WorkOrder.handle_overdue_at.is_not(None)),
            )
            .order_by(WorkOrder.id)
        )
    )
    extensions = list(
        session.scalars(
            select(WorkOrder)
            .where(WorkOrder.extension_state == ExtensionState.REQUESTED.value, WorkOrder.state.in_(WITH_UNIT))
            .order_by(WorkOrder.id)
        )
    )
    open_orders = sorted(
        session.scalars(select(WorkOrder).where(WorkOrder.state.in_(WITH_UNIT))),
        key=lambda order: (order.deadline() or now, order.id),
    )
    return_calls = list(
        session.scalars(
            select(WorkOrder).where(WorkOrder.state == OrderState.RETURN_CALL.value).order_by(WorkOrder.submitted_at)
        )
    )
    return SupervisorBoard(returned, late, extensions, open_orders, return_calls, now, open_duplicates(session))
