"""What the console shows: the call board, who is on duty, my status, the current call; hang up; risk alerts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline import audit, push
from hotline.accounts.models import User
from hotline.cases.services import caller_history
from hotline.console.exceptions import NotYourCall
from hotline.console.line import is_on_call, line_state
from hotline.privacy import mask_phone
from hotline.routing import adapters
from hotline.routing.models import CallTransfer, Offer, RoutingEntry, WorkerPresence
from hotline.routing.router import offer_payload
from hotline.telephony.models import Call, CallEvent
from hotline.vocabulary import Risk

ALERT_RISKS = (Risk.HIGH.value, Risk.IMMINENT.value)
BOARD_WINDOW = timedelta(hours=12)
"""Calls older than this that never got an end are not shown as active (a lost status callback)."""
FINAL_STATUSES = ("completed", "busy", "failed", "no-answer", "canceled")


@dataclass
class BoardRow:
    """One active call on the board."""

    call_id: int
    caller: str
    city: str | None
    service: str | None
    priority: int
    status: str
    """menu, waiting, offered, transferring, in_progress or wrap_up."""
    since: datetime
    worker: str | None = None
    offered_to: list[str] = field(default_factory=list)
    risk: str | None = None


@dataclass
class DutyRow:
    """A person on the on-duty list with their state."""

    user_id: int
    name: str
    duty: str
    state: str
    since: datetime | None
    on_duty: bool
    reason: str | None = None


def board(session: Session, now: datetime) -> list[BoardRow]:
    """Return every active call: in the menu, waiting, offered, in progress, or in the worker's wrap-up."""
    calls = session.scalars(
        select(Call)
        .where(Call.ended_at.is_(None), Call.created_at >= now - BOARD_WINDOW, Call.status.not_in(FINAL_STATUSES))
        .order_by(Call.priority.desc(), Call.queued_at, Call.created_at)
    ).all()
    wrapping = session.scalars(select(WorkerPresence).where(WorkerPresence.state == "wrap_up")).all()
    wrap_calls = {p.current_call_id: p for p in wrapping if p.current_call_id is not None}
    ids = [c.id for c in calls] + [i for i in wrap_calls if i not in {c.id for c in calls}]
    entries = {e.call_id: e for e in session.scalars(select(RoutingEntry).where(RoutingEntry.call_id.in_(ids)))}
    names = _names(session)
    ringing: dict[int, list[str]] = {}
    for offer in session.scalars(select(Offer).where(Offer.call_id.in_(ids), Offer.status == "ringing")):
        ringing.setdefault(offer.call_id, []).append(names.get(offer.worker_id, "?"))
    risks = _alerted_risks(session, ids)
    rows: list[BoardRow] = []
    for call in calls:
        if call.id in wrap_calls:
            continue
        rows.append(_row(call, entries.get(call.id), ringing.get(call.id, []), names, risks.get(call.id), now))
    for call_id, presence in wrap_calls.items():
        call = session.get(Call, call_id)
        if call is not None:
            row = _row(call, entries.get(call_id), [], names, risks.get(call_id), now)
            row.status, row.since, row.worker = "wrap_up", presence.state_since, names.get(presence.user_id)
            rows.append(row)
    return rows


def _row(
    call: Call, entry: RoutingEntry | None, ringing: list[str], names: dict[int, str], risk: str | None, now: datetime
) -> BoardRow:
    """Build the board row of one call."""
    status, since, worker = "menu", call.created_at, None
    if entry is not None:
        status = {"waiting": "waiting", "offered": "offered", "accepted": "in_progress"}.get(entry.status, "waiting")
        since = entry.queued_at
        if entry.status == "waiting" and entry.transfer_to_id:
            status = "transferring"
        if entry.status == "accepted":
            since, worker = call.answered_at or entry.updated_at, names.get(entry.worker_id or 0)
    elif call.status == "queued":
        status, since = "waiting", call.queued_at or call.created_at
    return BoardRow(
        call_id=call.id,
        caller=mask_phone(call.from_number),
        city=call.caller_city,
        service=call.service,
        priority=call.priority or 0,
        status=status,
        since=since or now,
        worker=worker,
        offered_to=ringing,
        risk=risk,
    )


def _names(session: Session) -> dict[int, str]:
    """Return display names of active staff by id."""
    return dict(session.execute(select(User.id, User.display_name).where(User.active.is_(True))).all())


def _alerted_risks(session: Session, call_ids: list[int]) -> dict[int, str]:
    """Return the highest risk a worker raised an alert for, by call."""
    rank = {Risk.HIGH.value: 1, Risk.IMMINENT.value: 2}
    risks: dict[int, str] = {}
    events = session.scalars(select(CallEvent).where(CallEvent.call_id.in_(call_ids), CallEvent.kind == "risk.alert"))
    for event in events:
        risk = event.data.get("risk")
        if rank.get(risk, 0) > rank.get(risks.get(event.call_id, ""), 0):
            risks[event.call_id] = risk
    return risks


def duty_list(session: Session, now: datetime) -> list[DutyRow]:
    """Return the people on duty now, and anyone else signed in to a console, with their state."""
    from hotline.rota.services import on_duty

    presence = {p.user_id: p for p in session.scalars(select(WorkerPresence))}
    rows: dict[int, DutyRow] = {}
    for worker in on_duty(session, now).workers:
        state = presence.get(worker.user_id)
        rows.setdefault(
            worker.user_id,
            DutyRow(
                user_id=worker.user_id,
                name=worker.name,
                duty=worker.duty,
                state=state.state if state else "offline",
                since=state.state_since if state else None,
                on_duty=True,
                reason=state.reason if state else None,
            ),
        )
    names = _names(session)
    for user_id, state in presence.items():
        if user_id not in rows and state.state != "offline" and user_id in names:
            rows[user_id] = DutyRow(
                user_id, names[user_id], "", state.state, state.state_since, on_duty=False, reason=state.reason
            )
    order = {"available": 0, "busy": 1, "wrap_up": 2, "break": 3, "offline": 4}
    return sorted(rows.values(), key=lambda r: (order.get(r.state, 9), r.name))


def my_status(session: Session, user_id: int, now: datetime) -> dict[str, Any]:
    """Return my presence, the offer ringing for me, and my current call."""
    from hotline.routing.presence import presence_of

    presence = presence_of(session, user_id, now)
    session.commit()
    offer = session.scalar(select(Offer).where(Offer.worker_id == user_id, Offer.status == "ringing"))
    on_duty_ids = adapters.on_duty_worker_ids(session, now)
    return {
        "presence": presence,
        "offer": with_history(session, offer_payload(session, offer)) if offer is not None else None,
        "on_duty": user_id in on_duty_ids,
        "on_duty_now": on_duty_accounts(session, on_duty_ids) if user_id not in on_duty_ids else [],
        "current_call_id": presence.current_call_id,
    }


def with_history(session: Session, payload: dict[str, Any]) -> dict[str, Any]:
    """Add to an offer how often the number called before and the risk of its last case (shown before accept)."""
    call = session.get(Call, payload["call_id"])
    history = caller_history(session, call.from_number if call else None, exclude_call_id=payload["call_id"])
    last_risk = history.cases[0].risk if history.cases else None
    return {**payload, "earlier_calls": len(history.calls), "last_risk": last_risk}


def on_duty_accounts(session: Session, user_ids: set[int]) -> list[dict[str, str]]:
    """Return the log-in names and names of the duty workers on duty now (so a newcomer knows whom calls reach)."""
    if not user_ids:
        return []
    users = session.scalars(select(User).where(User.id.in_(user_ids)).order_by(User.username))
    return [{"username": user.username, "name": user.display_name} for user in users]


def may_see_call(session: Session, call: Call, user: User) -> bool:
    """Return whether the user may open the call's page: its worker, the one on it now, or a supervisor.

    Managers and admins read figures, not calls (need-to-know, as for cases).
    """
    from hotline.cases.need_to_know import reads_every_case

    if reads_every_case(user) or call.worker_id == user.id:
        return True
    presence = session.get(WorkerPresence, user.id)
    return presence is not None and presence.current_call_id == call.id


def load_call(session: Session, call_id: int, user: User) -> Call:
    """Return a call the user may work on.

    Raises:
        NotYourCall: no such call, or it belongs to another worker.
    """
    call = session.get(Call, call_id)
    if call is None or not may_see_call(session, call, user):
        raise NotYourCall(call_id)
    return call


def record_call_view(session: Session, call: Call, user: User, now: datetime) -> None:
    """Record in the audit log that the user opened the call's page (the caller, their history, the intake)."""
    entry = audit.record(
        session, "call.view", actor_id=user.id, target=f"call:{call.id}", detail={"case_id": call.case_id}
    )
    entry.at = now
    session.commit()


def call_context(session: Session, call: Call, user: User, now: datetime) -> dict[str, Any]:
    """Return what the current-call page shows besides the intake form."""
    history = caller_history(session, call.from_number, exclude_call_id=call.id)
    entry = session.scalar(select(RoutingEntry).where(RoutingEntry.call_id == call.id))
    on_duty = adapters.on_duty_worker_ids(session, now) - {user.id}
    colleagues = session.scalars(
        select(User)
        .join(WorkerPresence, WorkerPresence.user_id == User.id)
        .where(User.id.in_(on_duty), WorkerPresence.state == "available", WorkerPresence.offered_call_id.is_(None))
        .order_by(User.display_name)
    ).all()
    transfers = session.scalars(
        select(CallTransfer).where(CallTransfer.call_id == call.id).order_by(CallTransfer.id)
    ).all()
    timeline = session.scalars(select(CallEvent).where(CallEvent.call_id == call.id).order_by(CallEvent.id)).all()
    return {
        "call": call,
        "caller": mask_phone(call.from_number),
        "history": history,
        "entry": entry,
        "on_call": is_on_call(call, entry, user.id),
        "colleagues": colleagues,
        "experts": adapters.on_duty_experts(session, now),
        "transfers": transfers,
        "timeline": timeline,
        "simulator": adapters.is_simulator(),
        "chat": adapters.simulator_chat(session, call) if adapters.is_simulator() else [],
    }


def line_context(session: Session, call: Call, user: User) -> dict[str, Any]:
    """Return what the call page's line panel shows: the timer, hold, mute, hang-up and who is on the line."""
    entry = session.scalar(select(RoutingEntry).where(RoutingEntry.call_id == call.id))
    return {"call": call, "on_call": is_on_call(call, entry, user.id), "line": line_state(session, call)}


def hang_up(session: Session, call: Call, worker_id: int, now: datetime, provider: Any) -> None:
    """End the call from the console; the worker's wrap-up starts at once."""
    from hotline.routing import services as routing

    adapters.add_call_event(session, call, "worker.hung_up", now, worker_id=worker_id)
    session.commit()
    provider.hang_up(call.call_sid)
    routing.release_worker(session, call.id, worker_id, now)


def raise_risk_alert(session: Session, call: Call, worker: User, risk: str, now: datetime) -> bool:
    """Alert the supervisors on call that a caller is at high or imminent risk; once per call and level.

    Returns whether an alert went out (False when it already had, or the risk is lower).
    """
    if risk not in ALERT_RISKS:
        return False
    key = f"risk-alert:{risk}"
    if session.scalar(select(CallEvent.id).where(CallEvent.call_id == call.id, CallEvent.dedupe_key == key)):
        return False
    session.add(
        CallEvent(
            call_id=call.id, kind="risk.alert", at=now, dedupe_key=key, data={"risk": risk, "worker_id": worker.id}
        )
    )
    audit.record(session, "risk.alert", actor_id=worker.id, target=f"call:{call.id}", detail={"risk": risk})
    session.commit()
    supervisors = adapters.on_duty_supervisor_ids(session, now)
    push.risk_alert(
        supervisors,
        {
            "call_id": call.id,
            "risk": risk,
            "worker": worker.display_name,
            "caller": mask_phone(call.from_number),
            "url": f"/console/calls/{call.id}",
        },
    )
    push.board_changed("risk")
    return True
