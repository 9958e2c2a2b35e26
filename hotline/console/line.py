"""What is on the line of a call: its conference's legs, the caller on hold, the worker muted.

A call talks on a plain <Dial> until something needs a conference (hold, mute, a warm
transfer, a supervisor listening in). Then it is moved into the call's conference once:
the caller redirected into it, the worker rung back into it (softphone or own phone).
Every leg joins with a status callback, so the conference tells the application who
joined and left, and confirms each hold and mute; the call page shows that list live.
Hold and mute go through the provider interface (the Participants resource's `Hold`,
`HoldUrl`, `Muted`), the same on a Twilio number, the simulator and the SIP gateway.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline import push
from hotline.accounts.models import User
from hotline.console.exceptions import LineRefused
from hotline.directory.models import ExpertVolunteer
from hotline.routing import adapters
from hotline.routing.models import CallLeg, RoutingEntry, WorkerPresence
from hotline.routing.services import connect_target
from hotline.telephony.models import Call
from hotline.telephony.providers import TelephonyError, TelephonyProvider
from hotline.telephony.urls import public_url

ROLES = ("caller", "worker", "expert", "supervisor")
LIVE = ("connecting", "joined")


@dataclass
class LineState:
    """What the call page shows of the line: hold, mute and who is on it."""

    in_conference: bool
    on_hold: bool
    muted: bool
    legs: list[tuple[CallLeg, str]]
    """Legs not yet left, each with the name to show."""


def conference_name(call: Call) -> str:
    """Return the name of the call's conference (warm transfers, hold and mute, listening in)."""
    return f"hotline-call-{call.id}"


def conference_url(call: Call, leg: str, **params: object) -> str:
    """Return the TwiML URL that puts a leg of this role into the call's conference."""
    return public_url(f"/twilio/console/conference/{call.id}", leg=leg, **params)


def address_of(session: Session, user_id: int) -> str:
    """Return where the line rings a member of staff: their softphone (client:worker_<id>) or their own phone."""
    presence = session.get(WorkerPresence, user_id)
    target = connect_target(presence) if presence is not None else f"worker_{user_id}"
    return target if target.startswith("+") else f"client:{target}"


def legs_of(session: Session, call: Call) -> list[CallLeg]:
    """Return the call's conference legs, oldest first."""
    return list(session.scalars(select(CallLeg).where(CallLeg.call_id == call.id).order_by(CallLeg.id)))


def _leg(session: Session, call: Call, role: str) -> CallLeg | None:
    """Return the newest live leg of a role."""
    legs = [leg for leg in legs_of(session, call) if leg.role == role and leg.status in LIVE]
    return legs[-1] if legs else None


def add_leg(session: Session, call: Call, call_sid: str, role: str, now: datetime, **fields: object) -> CallLeg:
    """Record a leg of the call's conference (again: update it); the caller commits."""
    leg = session.scalar(select(CallLeg).where(CallLeg.call_sid == call_sid))
    if leg is None:
        try:
            # The network may fetch a new leg's TwiML (which records it) before the request that placed it
            # records it too: the loser reads the winner's row.
            with session.begin_nested():
                leg = CallLeg(call_id=call.id, call_sid=call_sid, role=role, updated_at=now)
                session.add(leg)
        except IntegrityError:
            leg = session.scalar(
                select(CallLeg).where(CallLeg.call_sid == call_sid).execution_options(populate_existing=True)
            )
            if leg is None:
                raise
    for name, value in fields.items():
        setattr(leg, name, value)
    return leg


def worker_leg_in_conference(session: Session, call: Call) -> str | None:
    """Return the CallSid of the worker's leg when the call already talks in its conference."""
    leg = _leg(session, call, "worker")
    return leg.call_sid if leg is not None else None


def move_to_conference(
    session: Session, call: Call, worker_id: int, now: datetime, provider: TelephonyProvider, **caller: bool
) -> str:
    """Move a call talking on a plain <Dial> into its conference; return the worker leg's CallSid.

    `caller` may ask for the caller to join on hold (`hold=True`). Done already: the worker's leg.

    Raises:
        TelephonyError: the phone network refused; nothing is recorded.
    """
    existing = worker_leg_in_conference(session, call)
    if existing is not None and _leg(session, call, "caller") is not None:
        return existing
    leg = add_leg(session, call, call.call_sid, "caller", now, status="connecting", hold=caller.get("hold", False))
    session.commit()  # before the redirect: the caller's conference TwiML finds its leg
    try:
        provider.redirect_call(call.call_sid, conference_url(call, "caller"))
    except TelephonyError:
        leg.status = "left"
        session.commit()
        raise
    worker_sid = provider.place_call(address_of(session, worker_id), conference_url(call, "worker"))
    add_leg(session, call, worker_sid, "worker", now, user_id=worker_id)
    adapters.add_call_event(session, call, "line.conference", now, worker_id=worker_id, worker_leg_sid=worker_sid)
    session.commit()
    return worker_sid


def is_on_call(call: Call, entry: RoutingEntry | None, user_id: int) -> bool:
    """Tell whether the user talks on this call now: the router gave it to them (or the line put it through)."""
    if call.ended_at is not None:
        return False
    if entry is not None and entry.status == "accepted":
        return entry.worker_id == user_id
    return call.answered_at is not None and call.worker_id == user_id


def _worker_on_call(session: Session, call: Call, worker_id: int) -> None:
    entry = session.scalar(select(RoutingEntry).where(RoutingEntry.call_id == call.id))
    if not is_on_call(call, entry, worker_id):
        raise LineRefused("not_on_call")


def hold_url() -> str:
    """Return the TwiML a held caller hears."""
    return public_url("/twilio/console/hold")


def set_hold(
    session: Session, call: Call, worker_id: int, hold: bool, now: datetime, provider: TelephonyProvider
) -> bool:
    """Put the caller on hold (hold music, the worker not heard) or take them off; return the state asked for.

    Raises:
        LineRefused: the worker is not on this call.
        TelephonyError: the phone network refused (retryable); nothing changed.
    """
    _worker_on_call(session, call, worker_id)
    leg = _leg(session, call, "caller")
    if leg is None:
        if hold:
            move_to_conference(session, call, worker_id, now, provider, hold=True)
            _record(session, call, "line.hold", now, worker_id)
        return hold
    _lock(session, leg)
    if leg.status == "joined":
        provider.update_participant(conference_name(call), call.call_sid, hold=hold, hold_url=hold_url())
    leg.hold, leg.updated_at = hold, now
    _record(session, call, "line.hold" if hold else "line.resume", now, worker_id)
    return hold


def set_mute(
    session: Session, call: Call, worker_id: int, muted: bool, now: datetime, provider: TelephonyProvider
) -> bool:
    """Mute the worker's leg in the conference (the caller no longer hears them) or unmute it; return the state.

    Raises:
        LineRefused: the worker is not on this call.
        TelephonyError: the phone network refused (retryable); nothing changed.
    """
    _worker_on_call(session, call, worker_id)
    if worker_leg_in_conference(session, call) is None:
        if not muted:
            return False
        move_to_conference(session, call, worker_id, now, provider)
    leg = _leg(session, call, "worker")
    assert leg is not None
    _lock(session, leg)
    if leg.status == "joined":
        provider.update_participant(conference_name(call), leg.call_sid, muted=muted)
    leg.muted, leg.updated_at = muted, now
    _record(session, call, "line.mute" if muted else "line.unmute", now, worker_id)
    return muted


def _lock(session: Session, leg: CallLeg) -> None:
    """Re-read a leg and lock its row until the commit.

    A hold or mute asked while the leg is still connecting is left to the leg's join callback, which
    reads the same row (locked there too): whichever comes second sees the other's commit, so the
    request is either sent now (joined) or by the callback, never lost. SQLite needs no lock: a
    request's transaction begins with BEGIN IMMEDIATE there.
    """
    session.refresh(leg, with_for_update=True)


def _record(session: Session, call: Call, kind: str, now: datetime, worker_id: int) -> None:
    adapters.add_call_event(session, call, kind, now, worker_id=worker_id)
    session.commit()
    push.call_line(call.id)


def joining_twiml_options(session: Session, call: Call, call_sid: str, role: str, now: datetime) -> dict[str, bool]:
    """Record a leg as its TwiML is fetched; return the <Conference> options it joins with (muted)."""
    role = role if role in ROLES else "expert"
    leg = session.scalar(select(CallLeg).where(CallLeg.call_sid == call_sid))
    if leg is None:
        leg = add_leg(session, call, call_sid, role, now, status="connecting")
    session.commit()
    return {"muted": leg.muted}


def conference_event(
    session: Session, call: Call, params: dict[str, str], now: datetime, provider: TelephonyProvider
) -> None:
    """Apply one conference status callback: a leg joined or left, was held or muted; ask for what is pending.

    Older callbacks than the last one applied to a leg are ignored (they may arrive out of order).
    """
    event, call_sid = params.get("StatusCallbackEvent", ""), params.get("CallSid", "")
    if not event.startswith("participant-") or not call_sid:
        return
    # Locked: a hold or mute asked meanwhile is either committed before this reads it or sees "joined".
    leg = session.scalar(
        select(CallLeg).where(CallLeg.call_sid == call_sid).with_for_update().execution_options(populate_existing=True)
    )
    if leg is None:
        leg = add_leg(session, call, call_sid, "caller" if call_sid == call.call_sid else "supervisor", now)
    sequence = int(params["SequenceNumber"]) if params.get("SequenceNumber", "").isdigit() else leg.sequence + 1
    if sequence <= leg.sequence:
        return
    leg.sequence, leg.updated_at = sequence, now
    pending: dict[str, object] = {}
    if event == "participant-join":
        leg.status, leg.joined_at = "joined", now
        if leg.hold and params.get("Hold") != "true":
            pending = {"hold": True, "hold_url": hold_url()}
        if leg.muted and params.get("Muted") != "true":
            pending["muted"] = True
    elif event == "participant-leave":
        leg.status, leg.left_at = "left", now
    session.commit()
    if pending:
        try:
            provider.update_participant(conference_name(call), call_sid, **pending)  # type: ignore[arg-type]
        except TelephonyError:
            # The page shows what was asked; the worker can press hold or mute again.
            pass
    push.call_line(call.id)


def line_state(session: Session, call: Call) -> LineState:
    """Return whether the caller is on hold, the worker muted, and who is on the line now."""
    legs = [leg for leg in legs_of(session, call) if leg.status in LIVE]
    names = dict(
        session.execute(select(User.id, User.display_name).where(User.id.in_({leg.user_id for leg in legs}))).all()
    )
    experts = dict(
        session.execute(
            select(ExpertVolunteer.id, ExpertVolunteer.name).where(
                ExpertVolunteer.id.in_({leg.expert_id for leg in legs})
            )
        ).all()
    )
    shown = [(leg, names.get(leg.user_id or 0) or experts.get(leg.expert_id or 0) or "") for leg in legs]
    caller = next((leg for leg in legs if leg.role == "caller"), None)
    worker = next((leg for leg in reversed(legs) if leg.role == "worker"), None)
    return LineState(
        in_conference=caller is not None,
        on_hold=bool(caller and caller.hold),
        muted=bool(worker and worker.muted),
        legs=shown,
    )
