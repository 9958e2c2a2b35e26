"""Transfers: warm (caller, worker and an expert on duty in one conference) and cold (to a duty worker or expert).

A warm transfer moves the caller into a conference named after the call, rings
the worker back into it (softphone or own phone) and calls the expert in. The
worker may leave once the expert has taken over; the conference ends when the
caller hangs up. A cold transfer offers the call to one colleague; the worker
stays on the line until the colleague accepts. A cold transfer to an expert on
duty dials the expert's phone for the caller from the hotline's number and the
worker's wrap-up starts at once; an expert who does not answer sends the caller
back to the front of the queue. All are steps in the call's timeline.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline import push
from hotline.console.exceptions import TransferRefused
from hotline.console.line import add_leg, conference_name, conference_url, is_on_call, move_to_conference
from hotline.routing import adapters
from hotline.routing import services as routing
from hotline.routing.exceptions import InvalidState, NotOnCall
from hotline.routing.models import CallTransfer, RoutingEntry
from hotline.telephony.models import Call
from hotline.telephony.providers import TelephonyError
from hotline.telephony.urls import public_url


def warm_transfer(
    session: Session, call: Call, worker_id: int, expert_id: int, now: datetime, provider: Any
) -> CallTransfer:
    """Bring an expert volunteer on expert duty into a conference with the caller and the worker.

    Raises:
        TransferRefused: the expert is not on duty now or has no phone number.
    """
    expert = _expert_on_duty(session, expert_id, now)
    transfer = _start(session, call, "warm", worker_id, now, expert_id=expert_id, conference=conference_name(call))
    adapters.add_call_event(
        session, call, "transfer.warm", now, worker_id=worker_id, expert_id=expert_id, expert=expert.name
    )
    session.commit()
    transfer.worker_leg_sid = move_to_conference(session, call, worker_id, now, provider)
    transfer.expert_leg_sid = provider.place_call(expert.phone, conference_url(call, "expert"))
    add_leg(session, call, transfer.expert_leg_sid, "expert", now, expert_id=expert_id)
    session.commit()
    return transfer


def _start(session: Session, call: Call, kind: str, worker_id: int, now: datetime, **target: Any) -> CallTransfer:
    """Add a started transfer of the call by the worker, to `target` (expert_id, to_worker_id, conference)."""
    transfer = CallTransfer(
        call_id=call.id,
        kind=kind,
        status="started",
        from_worker_id=worker_id,
        created_at=now,
        updated_at=now,
        **target,
    )
    session.add(transfer)
    return transfer


def _expert_on_duty(session: Session, expert_id: int, now: datetime) -> Any:
    """Return the expert on expert duty now with a phone number.

    Raises:
        TransferRefused: the expert is not on duty now or has no phone number.
    """
    expert = next((e for e in adapters.on_duty_experts(session, now) if e.expert_id == expert_id), None)
    if expert is None or not expert.phone:
        raise TransferRefused("expert_unavailable")
    return expert


def leave_conference(session: Session, call: Call, worker_id: int, now: datetime, provider: Any) -> CallTransfer:
    """Take the worker out of a warm transfer's conference; caller and expert talk on.

    Raises:
        TransferRefused: there is no warm transfer of this call by this worker.
        TelephonyError: the phone network did not answer (retryable); nothing changed.
    """
    transfer = session.scalar(
        select(CallTransfer)
        .where(CallTransfer.call_id == call.id, CallTransfer.kind == "warm", CallTransfer.from_worker_id == worker_id)
        .order_by(CallTransfer.id.desc())
    )
    if transfer is None or transfer.status != "started":
        raise TransferRefused("no_conference")
    if transfer.worker_leg_sid:
        try:
            provider.hang_up(transfer.worker_leg_sid)
        except TelephonyError as exc:
            if exc.retryable:
                raise
            # The network refused for good: the worker's leg has ended already, so the worker has left.
    transfer.status, transfer.updated_at = "worker_left", now
    adapters.add_call_event(session, call, "transfer.worker_left", now, worker_id=worker_id)
    session.commit()
    routing.release_worker(session, call.id, worker_id, now)
    return transfer


def cold_transfer(session: Session, call: Call, worker_id: int, to_worker_id: int, now: datetime) -> CallTransfer:
    """Offer the call to another duty worker; it stays with this worker until they accept.

    Raises:
        TransferRefused: the worker is not on this call, or the colleague is not free.
    """
    try:
        routing.cold_transfer(session, call.id, worker_id, to_worker_id, now)
    except NotOnCall as exc:
        raise TransferRefused("not_on_call") from exc
    except InvalidState as exc:
        raise TransferRefused("colleague_unavailable") from exc
    transfer = _start(session, call, "cold", worker_id, now, to_worker_id=to_worker_id)
    session.commit()
    return transfer


def cold_transfer_to_expert(
    session: Session, call: Call, worker_id: int, expert_id: int, now: datetime, provider: Any
) -> CallTransfer:
    """Hand the caller to an expert on expert duty (their phone rings, the worker leaves at once).

    Raises:
        TransferRefused: the worker is not on this call, or the expert is not on duty or has no phone number.
        TelephonyError: the phone network refused; the caller stays with the worker, the transfer failed.
    """
    entry = session.scalar(select(RoutingEntry).where(RoutingEntry.call_id == call.id))
    if not is_on_call(call, entry, worker_id):
        raise TransferRefused("not_on_call")
    expert = _expert_on_duty(session, expert_id, now)
    transfer = _start(session, call, "cold", worker_id, now, expert_id=expert_id)
    adapters.add_call_event(
        session, call, "transfer.cold_expert", now, worker_id=worker_id, expert_id=expert_id, expert=expert.name
    )
    session.flush()
    call_sid, dial_url = call.call_sid, public_url(f"/twilio/console/expert/{call.id}", transfer=transfer.id)
    # Committed before the redirect: the network fetches the expert's <Dial> at once, in a request of
    # its own, and a transfer it cannot read there sends the caller back to the queue. Nothing is read
    # again until the network answered, so no transaction (no SQLite write lock) is held meanwhile.
    session.commit()
    try:
        provider.redirect_call(call_sid, dial_url)
    except TelephonyError:
        transfer.status, transfer.updated_at = "failed", now
        adapters.add_call_event(session, call, "transfer.network_refused", now, worker_id=worker_id)
        session.commit()
        raise
    routing.release_worker(session, call.id, worker_id, now)
    return transfer


def expert_phone(session: Session, transfer_id: int, call: Call) -> str | None:
    """Return the number a cold transfer to an expert dials (None: no such transfer of this call)."""
    from hotline.directory.models import ExpertVolunteer

    transfer = session.get(CallTransfer, transfer_id)
    if transfer is None or transfer.call_id != call.id or transfer.expert_id is None:
        return None
    expert = session.get(ExpertVolunteer, transfer.expert_id)
    return expert.phone if expert is not None else None


def expert_dial_ended(session: Session, transfer_id: int, call: Call, dial_status: str, now: datetime) -> bool:
    """Record how the expert's <Dial> ended; return whether the expert talked with the caller."""
    transfer = session.get(CallTransfer, transfer_id)
    talked = (dial_status or "").strip().lower() in ("completed", "answered")
    if transfer is not None and transfer.call_id == call.id and transfer.status == "started":
        transfer.status, transfer.updated_at = ("completed" if talked else "failed"), now
        adapters.add_call_event(session, call, "transfer.expert_" + ("talked" if talked else "missed"), now)
        if not talked:
            call.status = "in-progress"  # the queue takes it back, ahead of later callers
        session.commit()
        if not talked:
            push.transfer_failed(transfer.from_worker_id, call.id)
    return talked
