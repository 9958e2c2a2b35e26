"""The scheduler's side of work orders: open orders for new referrals, act on deadlines that passed.

Each act is an event with a dedupe key the database refuses twice
(`sign_overdue:<dispatch>`, `handle_overdue:<deadline>`, `centre_told:<deadline>`),
written in the same transaction as the flag on the order; a deadline that passed
while the scheduler was down is acted on at its next tick, once.
"""

from __future__ import annotations

import logging
from datetime import datetime

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline.clock import utcnow
from hotline.directory.models import Organisation, Station, Volunteer
from hotline.directory.services import district_centres
from hotline.escalation.models import ROBOT_CHANNELS, Channel, Referral
from hotline.escalation.notifications import link_token, pick_channels
from hotline.escalation.providers import public_url
from hotline.escalation.recipients import Recipient, of_organisation, of_station, of_volunteer
from hotline.robots import services as robots
from hotline.robots.clients import Message
from hotline.sms import services as sms
from hotline.telephony.providers import TelephonyProvider
from hotline.workorders.deadlines import second_limit
from hotline.workorders.exceptions import WrongState
from hotline.workorders.models import OrderState, WorkOrder, WorkOrderEvent
from hotline.workorders.services import dispatch_from_referral, log, record_signing

log_ = logging.getLogger("hotline.workorders")
UNIT_TARGETS = ("station", "organisation", "volunteer")


def referrals_without_order(session: Session) -> list[int]:
    """Return the station and organisation referrals of chains that the orders do not follow yet."""
    followed = select(WorkOrder.referral_id).where(WorkOrder.referral_id.is_not(None))
    query = (
        select(Referral.id)
        .where(
            Referral.target_kind.in_(UNIT_TARGETS),
            Referral.escalation_id.is_not(None),
            Referral.id.not_in(followed),
            Referral.status.in_(("pending", "notified", "accepted", "acknowledged")),
        )
        .order_by(Referral.id)
    )
    return list(session.scalars(query))


def open_orders(session: Session, now: datetime) -> int:
    """Open (or move) the order of each new station or organisation referral; return how many changed."""
    changed = 0
    for referral_id in referrals_without_order(session):
        try:
            before = session.scalar(select(WorkOrder.id).where(WorkOrder.referral_id == referral_id))
            order = dispatch_from_referral(session, referral_id, now)
        except Exception:  # noqa: BLE001  (one bad referral must not stop the others)
            session.rollback()
            log_.exception("work order for referral %s failed", referral_id)
            continue
        if order is not None and before is None and order.referral_id == referral_id:
            changed += 1
    return changed


def sign_accepted(session: Session, now: datetime) -> int:
    """Sign for the orders whose referral the unit accepted on the responder page or by SMS; return how many."""
    query = (
        select(WorkOrder, Referral)
        .join(Referral, Referral.id == WorkOrder.referral_id)
        .where(WorkOrder.state == OrderState.DISPATCHED.value, Referral.status.in_(("accepted", "acknowledged")))
    )
    signed = 0
    for order, referral in session.execute(query).all():
        at = referral.acknowledged_at or now
        try:
            record_signing(session, order, at=at, now=now, actor_id=None, via="link")
        except WrongState:
            continue
        signed += 1
    return signed


def flag(session: Session, order: WorkOrder, kind: str, key: str, now: datetime, **values: object) -> bool:
    """Set a flag on the order and log it once; return False when it was done already."""
    for name, value in values.items():
        setattr(order, name, value)
    order.version += 1
    log(session, order, kind, now, via="scheduler", dedupe_key=key)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    return True


def act_on_deadlines(session: Session, now: datetime) -> list[tuple[int, str]]:
    """Flag orders past their sign-for or handling limit, and tell the centre past the second; return the acts."""
    acts: list[tuple[int, str]] = []
    late_sign = select(WorkOrder).where(
        WorkOrder.state == OrderState.DISPATCHED.value,
        WorkOrder.sign_due_at <= now,
        WorkOrder.sign_overdue_at.is_(None),
    )
    for order in session.scalars(late_sign).all():
        if flag(
            session, order, "sign_overdue", f"sign_overdue:{order.dispatched_at:%Y%m%d%H%M%S}", now, sign_overdue_at=now
        ):
            acts.append((order.id, "sign_overdue"))
    late_handle = select(WorkOrder).where(
        WorkOrder.state.in_((OrderState.SIGNED.value, OrderState.IN_PROGRESS.value)),
        WorkOrder.handle_due_at <= now,
        WorkOrder.handle_overdue_at.is_(None),
    )
    for order in session.scalars(late_handle).all():
        if flag(
            session,
            order,
            "handle_overdue",
            f"handle_overdue:{order.handle_due_at:%Y%m%d%H%M%S}",
            now,
            handle_overdue_at=now,
        ):
            acts.append((order.id, "handle_overdue"))
    flagged = select(WorkOrder).where(
        WorkOrder.centre_told_at.is_(None),
        or_(
            and_(WorkOrder.state == OrderState.DISPATCHED.value, WorkOrder.sign_overdue_at.is_not(None)),
            and_(
                WorkOrder.state.in_((OrderState.SIGNED.value, OrderState.IN_PROGRESS.value)),
                WorkOrder.handle_overdue_at.is_not(None),
            ),
        ),
    )
    for order in session.scalars(flagged).all():
        if order.state == OrderState.DISPATCHED:
            second = second_limit(order.dispatched_at, order.sign_due_at)
        else:
            second = second_limit(order.signed_at or order.dispatched_at, order.handle_due_at)
        if second <= now and flag(
            session, order, "centre_told", f"centre_told:{second:%Y%m%d%H%M%S}", now, centre_told_at=now
        ):
            acts.append((order.id, "centre_told"))
    return acts


def unit_recipient(session: Session, order: WorkOrder) -> Recipient | None:
    """Return the order's unit as the escalation's recipient: its phone, robot and chosen channels."""
    if order.station_id is not None:
        station = session.get(Station, order.station_id)
        return of_station(station) if station is not None else None
    if order.organisation_id is not None:
        organisation = session.get(Organisation, order.organisation_id)
        return of_organisation(organisation) if organisation is not None else None
    if order.volunteer_id is not None:
        volunteer = session.get(Volunteer, order.volunteer_id)
        return of_volunteer(volunteer) if volunteer is not None else None
    return None


def order_link(order: WorkOrder) -> str | None:
    """Return the signed single-use link to a volunteer's order (its referral's), else None."""
    if order.volunteer_id is None or order.referral_id is None:
        return None
    return public_url(f"/r/{link_token(order.referral_id)}/order")


def reminder_text(order: WorkOrder, act: str) -> str:
    """Return the reminder for an act: the unit's reminder or the district centre's notice (no caller details)."""
    if act == "dispatched":
        link = order_link(order)
        if link is not None:
            return _(
                "[Hotline] Work order %(ref)s is for you. Sign for it, handle it and send the result here: %(link)s",
                ref=order.reference,
                link=link,
            )
        return _("[Hotline] New work order %(ref)s: please sign for it on your orders page.", ref=order.reference)
    if act == "sign_overdue":
        return _(
            "[Hotline] Work order %(ref)s is past its sign-for limit. Please sign for it or return it.",
            ref=order.reference,
        )
    if act == "handle_overdue":
        return _(
            "[Hotline] Work order %(ref)s is past its handling limit. Please submit the result or ask for more time.",
            ref=order.reference,
        )
    if act == "supervised":
        return _(
            "[Hotline] Work order %(ref)s is now supervised: %(note)s",
            ref=order.reference,
            note=(order.supervision_note or "")[:120],
        )
    return _(
        "[Hotline] Work order %(ref)s with %(unit)s is twice past its time limit.",
        ref=order.reference,
        unit=order.unit_name,
    )


LATE = {
    "dispatched": _l("dispatched to you"),
    "sign_overdue": _l("past sign-for limit"),
    "handle_overdue": _l("past handling limit"),
    "supervised": _l("supervised"),
}
"""What the reminder is about, as the work-order reminder template says it (else: twice past the limit)."""


def notify(
    session: Session,
    recipient: Recipient,
    order: WorkOrder,
    act: str,
    provider: TelephonyProvider,
    now: datetime,
    origin: str,
) -> int:
    """Send one act's reminder by the channels the unit chose (the escalation's preferences); return how many went.

    A group chat robot through `hotline.robots.services.post` (within its rate limit); SMS through
    `hotline.sms.services.text_staff` (the work-order reminder template with Alibaba or Tencent, once
    per origin). A reminder needs no answer, so no voice call is placed: where only a call is picked,
    it goes by SMS. One channel failing is logged and does not stop the others.
    """
    text = reminder_text(order, act)
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        values = {"ref": order.reference, "state": str(LATE.get(act, _l("twice past its limit")))}
    sent = 0
    for channel, _destination, _two_way in pick_channels(session, recipient, order.urgency):
        try:
            if channel in ROBOT_CHANNELS and recipient.robot is not None:
                robots.post(session, recipient.robot, Message(text=text, mention=recipient.mention), now)
                session.commit()
            elif channel in (Channel.SMS.value, Channel.VOICE.value) and recipient.phone:
                if channel == Channel.VOICE.value and sent:
                    continue
                sms.text_staff(
                    session, provider, "workorder_reminder", recipient.phone, values, text, origin=origin, now=now
                )
            else:
                continue
            sent += 1
        except Exception:  # noqa: BLE001  (one unreachable channel must not stop the others)
            session.rollback()
            log_.exception("work order reminder %s to %s %s by %s failed", act, recipient.kind, recipient.id, channel)
    return sent


def send_reminders(
    session: Session, acts: list[tuple[int, str]], provider: TelephonyProvider, now: datetime | None = None
) -> int:
    """Send each act's reminder (after its commit): the unit is reminded, the district centre told; return how many.

    A failed send is logged and not retried: the flag stays on the board either way.
    """
    now = now or utcnow()
    sent = 0
    for order_id, act in acts:
        order = session.get(WorkOrder, order_id)
        if order is None:
            continue
        if act == "centre_told":
            recipients = [of_station(centre) for centre in district_centres(session)]
        else:
            recipients = [unit_recipient(session, order)]
        for n, recipient in enumerate(filter(None, recipients)):
            origin = f"workorder:{order_id}:{act}:{n}"
            if act == "supervised":
                origin += f":{order.supervised_at:%Y%m%d%H%M%S}" if order.supervised_at else ""
            sent += notify(session, recipient, order, act, provider, now, origin)
    return sent


def events_of(session: Session, order_id: int) -> list[WorkOrderEvent]:
    """Return an order's events, oldest first."""
    return list(
        session.scalars(select(WorkOrderEvent).where(WorkOrderEvent.order_id == order_id).order_by(WorkOrderEvent.id))
    )
