"""Routing services: react to the phone line, set presence, accept and decline offers, transfer.

Each function takes the session and `now`, commits its own transaction, then
emits the console events and runs the router, so whatever changed is offered on.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hotline import audit, push
from hotline.accounts.models import User
from hotline.routing import adapters
from hotline.routing.exceptions import ConnectFailed, InvalidState, NotOnCall, OfferGone, OfferNotFound
from hotline.routing.models import CallTransfer, Offer, RoutingEntry, WorkerPresence
from hotline.routing.presence import CHOSEN_STATES, change_state, presence_of, start_wrap_up
from hotline.routing.router import (
    Pushes,
    end_entry,
    ensure_entry,
    expire_offers,
    reopen_entry,
    route,
    sync_with_queue,
    withdraw_ringing,
)
from hotline.routing.settings import load_routing_settings
from hotline.telephony.models import Call

log = logging.getLogger("hotline.routing")


def entry_for_call(session: Session, call_id: int) -> RoutingEntry | None:
    """Return the routing entry of a call, if it was ever queued."""
    return session.scalar(select(RoutingEntry).where(RoutingEntry.call_id == call_id))


def call_queued(session: Session, call_id: int, now: datetime) -> list[Offer]:
    """Take a call that entered (or re-entered) the queue and offer it; return the offers made.

    A call coming back from a worker who did not pick up keeps its place (its
    priority and queued_at) and is offered to someone else first. A worker already
    in wrap-up (they handed the call on, e.g. to an expert who did not answer)
    keeps their wrap-up: they missed nothing.
    """
    call = session.get(Call, call_id)
    if call is None or call.ended_at is not None:
        return []
    pushes = Pushes(board=True)
    entry = entry_for_call(session, call_id)
    if entry is None:
        ensure_entry(session, call, now)
    elif entry.status in ("accepted", "ended"):
        settings = load_routing_settings(session)
        if entry.worker_id is not None:
            presence = presence_of(session, entry.worker_id, now)
            if presence.current_call_id == call_id and presence.state != "wrap_up":
                presence.current_call_id = None
                missed = settings.missed_offer_sets_break and entry.status == "accepted"
                change_state(presence, "break" if missed else "available", now, "missed_call" if missed else None)
                pushes.presence.append((presence.user_id, presence.state))
            entry.tried_worker_ids = list(dict.fromkeys([*(entry.tried_worker_ids or []), entry.worker_id]))
        adapters.add_call_event(session, call, "routing.requeued", now, worker_id=entry.worker_id)
        entry.status, entry.worker_id, entry.due_at = "waiting", None, None
        entry.priority = max(entry.priority, call.priority or 0)
        entry.version += 1
        entry.updated_at = now
    else:
        entry.priority = max(entry.priority, call.priority or 0)
        entry.service = call.service or entry.service
    session.commit()
    pushes.send()
    return route(session, now)


def call_ended(session: Session, call_id: int, now: datetime) -> None:
    """Close a call's routing: withdraw ringing offers and start the worker's wrap-up."""
    entry = entry_for_call(session, call_id)
    settings = load_routing_settings(session)
    pushes = Pushes(board=True)
    worker_id = entry.worker_id if entry is not None else None
    if entry is not None and entry.status != "ended":
        end_entry(session, entry, now, pushes)
    if worker_id is None:
        call = session.get(Call, call_id)
        worker_id = call.worker_id if call is not None else None
    if worker_id is not None:
        presence = presence_of(session, worker_id, now)
        if presence.current_call_id == call_id and presence.state == "busy":
            start_wrap_up(presence, now, settings.wrap_up_seconds)
            pushes.presence.append((worker_id, "wrap_up"))
    session.commit()
    pushes.send()
    route(session, now, settings)


def set_presence(session: Session, user_id: int, state: str, now: datetime, actor_id: int) -> WorkerPresence:
    """Set a worker's state (by themselves or a supervisor), then offer waiting calls.

    Raises:
        InvalidState: the state is unknown, or the worker is still talking on a call.
    """
    if state not in CHOSEN_STATES:
        raise InvalidState(state)
    presence = presence_of(session, user_id, now)
    pushes = Pushes(board=True)
    if presence.offered_call_id is not None and state != "available":
        _decline_ringing(session, user_id, now, pushes)
    if state == "available" and presence.current_call_id is not None:
        entry = entry_for_call(session, presence.current_call_id)
        if entry is not None and entry.status == "accepted" and entry.worker_id == user_id:
            raise InvalidState("on_call")
        presence.current_call_id = None
    session.refresh(presence)
    reason = None if actor_id == user_id else "supervisor"
    if state == "available":
        presence.current_call_id, presence.wrap_up_until = None, None
        presence.last_seen_at = now
    change_state(presence, state, now, reason)
    if actor_id != user_id:
        audit.record(session, "presence.change", actor_id=actor_id, target=f"user:{user_id}", detail={"to": state})
    session.commit()
    pushes.presence.append((user_id, state))
    pushes.send()
    route(session, now)
    return presence


def set_connect_via(session: Session, user_id: int, connect_via: str, now: datetime) -> WorkerPresence:
    """Choose how calls reach the worker: the browser softphone or their own phone."""
    if connect_via not in ("browser", "phone"):
        raise InvalidState(connect_via)
    presence = presence_of(session, user_id, now)
    user = session.get(User, user_id)
    if connect_via == "phone" and (user is None or not user.phone):
        raise InvalidState("no_phone")
    presence.connect_via = connect_via
    session.commit()
    return presence


def _decline_ringing(session: Session, worker_id: int, now: datetime, pushes: Pushes) -> None:
    """Decline the offer ringing for a worker who is leaving 'available'."""
    offer = session.scalar(select(Offer).where(Offer.worker_id == worker_id, Offer.status == "ringing"))
    if offer is not None:
        _decline(session, offer, now, pushes)


def _decline(session: Session, offer: Offer, now: datetime, pushes: Pushes) -> None:
    """Record a decline; when nobody else is ringing for the call, it goes back to waiting."""
    offer.status, offer.responded_at = "declined", now
    session.execute(
        update(WorkerPresence)
        .where(WorkerPresence.user_id == offer.worker_id, WorkerPresence.offered_call_id == offer.call_id)
        .values(offered_call_id=None, version=WorkerPresence.version + 1)
        .execution_options(synchronize_session=False)
    )
    pushes.closed.append((offer.worker_id, offer.id, "declined"))
    session.flush()
    still_ringing = session.scalar(
        select(Offer.id).where(Offer.entry_id == offer.entry_id, Offer.status == "ringing", Offer.id != offer.id)
    )
    if still_ringing is None:
        entry = session.get(RoutingEntry, offer.entry_id)
        if entry is not None:
            reopen_entry(session, entry, offer.entry_version, now, pushes, ringing_status="withdrawn")


def decline_offer(session: Session, offer_id: int, worker_id: int, now: datetime) -> None:
    """Decline an offer; the call is offered to the next worker.

    Raises:
        OfferNotFound: no such offer for this worker.
        OfferGone: the offer is no longer ringing.
    """
    offer = session.get(Offer, offer_id)
    if offer is None or offer.worker_id != worker_id:
        raise OfferNotFound(offer_id)
    if offer.status != "ringing":
        raise OfferGone(offer_id)
    pushes = Pushes(board=True)
    _decline(session, offer, now, pushes)
    session.commit()
    pushes.send()
    route(session, now)


def accept_offer(session: Session, offer_id: int, worker_id: int, now: datetime, provider: Any) -> Offer:
    """Accept an offer and connect the caller; exactly one worker can win a call.

    The winner is decided by one conditional UPDATE of the routing entry (status
    still 'offered' and version unchanged since the offer was made): of several
    concurrent accepts, a timeout or a decline, the database lets one through.

    Raises:
        OfferNotFound: no such offer for this worker.
        OfferGone: someone else won, or the offer was withdrawn or rang out.
        ConnectFailed: the phone network refused; the call is waiting again.
    """
    offer = session.get(Offer, offer_id)
    if offer is None or offer.worker_id != worker_id:
        raise OfferNotFound(offer_id)
    if offer.status != "ringing":
        raise OfferGone(offer_id)
    transferred_from = session.scalar(select(RoutingEntry.transfer_from_id).where(RoutingEntry.id == offer.entry_id))
    won = session.execute(
        update(RoutingEntry)
        .where(
            RoutingEntry.id == offer.entry_id,
            RoutingEntry.status == "offered",
            RoutingEntry.version == offer.entry_version,
        )
        .values(
            status="accepted",
            worker_id=worker_id,
            version=offer.entry_version + 1,
            due_at=None,
            updated_at=now,
            transfer_to_id=None,
            transfer_from_id=None,
        )
        .execution_options(synchronize_session=False)
    )
    if won.rowcount != 1:
        session.rollback()
        raise OfferGone(offer_id)
    pushes = Pushes(board=True)
    entry = session.get(RoutingEntry, offer.entry_id)
    session.refresh(entry)
    offer.status, offer.responded_at = "accepted", now
    withdraw_ringing(session, entry, now, pushes, "taken")
    presence = presence_of(session, worker_id, now)
    session.refresh(presence)
    presence.offered_call_id, presence.current_call_id, presence.wrap_up_until = None, offer.call_id, None
    change_state(presence, "busy", now)
    call = session.get(Call, offer.call_id)
    call.worker_id = worker_id
    adapters.add_call_event(session, call, "offer.accepted", now, worker_id=worker_id, offer_kind=offer.kind)
    if transferred_from is not None:
        _finish_transfer_source(session, transferred_from, call.id, now, pushes)
    session.commit()
    try:
        adapters.connect_to_worker(session, call, connect_target(presence), provider)
    except Exception as exc:  # noqa: BLE001  (whatever the network says, the caller must not be lost)
        log.exception("connecting call %s to worker %s failed", call.id, worker_id)
        session.rollback()
        _undo_accept(session, entry.id, worker_id, now)
        raise ConnectFailed(str(exc)) from exc
    pushes.send()
    push.call_assigned(worker_id, call.id, f"/console/calls/{call.id}")
    return offer


def release_worker(session: Session, call_id: int, worker_id: int, now: datetime) -> None:
    """Start the wrap-up of a worker who hung up or left a conference; the call itself may go on."""
    presence = presence_of(session, worker_id, now)
    if presence.current_call_id != call_id or presence.state != "busy":
        return
    start_wrap_up(presence, now, load_routing_settings(session).wrap_up_seconds)
    session.commit()
    Pushes(presence=[(worker_id, "wrap_up")]).send()


def connect_target(presence: WorkerPresence) -> str:
    """Return where the call goes: the worker's softphone identity or their own number."""
    if presence.connect_via == "phone" and presence.user.phone:
        return presence.user.phone
    return f"worker_{presence.user_id}"


def _finish_transfer_source(session: Session, from_worker_id: int, call_id: int, now: datetime, pushes: Pushes) -> None:
    """Put the worker who cold-transferred the call into wrap-up once the target takes it."""
    session.execute(
        update(CallTransfer)
        .where(CallTransfer.call_id == call_id, CallTransfer.kind == "cold", CallTransfer.status == "started")
        .values(status="taken", updated_at=now)
        .execution_options(synchronize_session=False)
    )
    presence = presence_of(session, from_worker_id, now)
    if presence.current_call_id == call_id and presence.state == "busy":
        start_wrap_up(presence, now, load_routing_settings(session).wrap_up_seconds)
        pushes.presence.append((from_worker_id, "wrap_up"))


def _undo_accept(session: Session, entry_id: int, worker_id: int, now: datetime) -> None:
    """Put a call whose connection failed back to waiting and the worker back to available."""
    entry = session.get(RoutingEntry, entry_id)
    entry.status, entry.worker_id, entry.version, entry.updated_at = "waiting", None, entry.version + 1, now
    presence = presence_of(session, worker_id, now)
    presence.current_call_id = None
    change_state(presence, "available", now, "connect_failed")
    session.commit()
    push.board_changed()


def cold_transfer(session: Session, call_id: int, from_worker_id: int, to_worker_id: int, now: datetime) -> Offer:
    """Offer a call the worker is on to another duty worker; the call stays with them until it is taken.

    Raises:
        NotOnCall: the worker is not on this call.
        InvalidState: the target is not on duty and available.
    """
    entry = entry_for_call(session, call_id)
    if entry is None or entry.status != "accepted" or entry.worker_id != from_worker_id:
        raise NotOnCall(call_id)
    target = presence_of(session, to_worker_id, now)
    on_duty = adapters.on_duty_worker_ids(session, now)
    if to_worker_id not in on_duty or target.state != "available" or target.offered_call_id is not None:
        raise InvalidState("target_unavailable")
    call = session.get(Call, call_id)
    adapters.add_call_event(
        session, call, "transfer.cold", now, from_worker_id=from_worker_id, to_worker_id=to_worker_id
    )
    entry.status, entry.version, entry.updated_at = "waiting", entry.version + 1, now
    entry.transfer_to_id, entry.transfer_from_id = to_worker_id, from_worker_id
    session.commit()
    offers = route(session, now)
    offer = next((o for o in offers if o.call_id == call_id), None)
    if offer is None:
        # The target was taken meanwhile: the call stays with the worker.
        entry = entry_for_call(session, call_id)
        entry.status, entry.worker_id, entry.version = "accepted", from_worker_id, entry.version + 1
        entry.transfer_to_id = entry.transfer_from_id = None
        session.commit()
        raise InvalidState("target_unavailable")
    return offer


def rebuild(session: Session, now: datetime) -> dict[str, int]:
    """Bring the router up to date after a restart: adopt queued calls, expire rung-out offers, route."""
    adopted = sync_with_queue(session, now)
    expired = expire_offers(session, now)
    offers = route(session, now)
    return {"adopted": adopted, "expired": expired, "offered": len(offers)}
