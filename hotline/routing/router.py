"""The router: which waiting call goes to which worker, offered how, and what happens when nobody answers.

All of its state is in the database (routing entries, offers, presence), so a
restarted process simply carries on: `sync_with_queue` adopts calls queued
while it was down, `expire_offers` handles offers that rang out meanwhile.
Every step is a conditional UPDATE on a version, so two processes that race
(a web request and the scheduler's tick) cannot both act on the same row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, joinedload

from hotline import push
from hotline.privacy import mask_phone
from hotline.routing import adapters
from hotline.routing.models import CallTransfer, Offer, RoutingEntry, WorkerPresence
from hotline.routing.settings import RoutingSettings, load_routing_settings
from hotline.telephony.models import Call

# The skills that fit each service the caller chose, best first.
SERVICE_SKILLS: dict[str, tuple[str, ...]] = {
    "crisis": ("crisis", "psychology"),
    "emotional": ("psychology", "crisis"),
    "listening": ("psychology",),
    "family": ("family_education", "psychology"),
    "info": ("social_work",),
    "needs": ("social_work",),
    "resources": ("social_work",),
    "expert": ("legal", "psychology", "medical"),
}
ENDED_STATUSES = ("completed", "busy", "failed", "no-answer", "canceled", "ended", "abandoned", "voicemail")


@dataclass
class Pushes:
    """Events to emit once the transaction that produced them is committed."""

    offers: list[dict[str, Any]] = field(default_factory=list)
    closed: list[tuple[int, int, str]] = field(default_factory=list)
    presence: list[tuple[int, str]] = field(default_factory=list)
    transfers_failed: list[tuple[int, int]] = field(default_factory=list)
    board: bool = False

    def send(self) -> None:
        """Emit everything collected."""
        for payload in self.offers:
            push.offer_made(payload["worker_id"], payload)
        for worker_id, offer_id, reason in self.closed:
            push.offer_closed(worker_id, offer_id, reason)
        for user_id, state in self.presence:
            push.presence_changed(user_id, state)
        for worker_id, call_id in self.transfers_failed:
            push.transfer_failed(worker_id, call_id)
        if self.board or self.offers or self.closed or self.presence:
            push.board_changed()


def skill_fit(skills: list[str] | None, service: str | None) -> int:
    """Return how well a worker's skills fit a service: 2 the best skill, 1 another fitting one, 0 none."""
    wanted = SERVICE_SKILLS.get(service or "", ())
    have = set(skills or ())
    if wanted and wanted[0] in have:
        return 2
    return 1 if have.intersection(wanted) else 0


def ensure_entry(session: Session, call: Call, now: datetime) -> RoutingEntry:
    """Return the call's routing entry, creating a waiting one (the caller commits)."""
    entry = session.scalar(select(RoutingEntry).where(RoutingEntry.call_id == call.id))
    if entry is None:
        entry = RoutingEntry(
            call_id=call.id,
            status="waiting",
            priority=call.priority or 0,
            service=call.service,
            queued_at=call.queued_at or now,
            updated_at=now,
            version=1,
            tried_worker_ids=[],
        )
        session.add(entry)
        session.flush()
    return entry


def sync_with_queue(session: Session, now: datetime) -> int:
    """Adopt queued calls that have no entry, end entries whose call has ended, and withdraw the offers
    of calls that left the queue without a worker; return changes made.

    A caller who waited past the line's maximum leaves the queue for voicemail or a
    callback: the call lives on, but no worker can take it any more. Its ringing
    offers are withdrawn (their workers are free again) and its entry waits,
    never offered (`route` only offers queued calls, and calls being transferred),
    until the call ends or comes back to the queue.
    """
    changes = 0
    for call in adapters.queued_calls(session):
        if session.scalar(select(RoutingEntry.id).where(RoutingEntry.call_id == call.id)) is None:
            ensure_entry(session, call, now)
            changes += 1
    live = session.execute(
        select(RoutingEntry, Call).join(Call, Call.id == RoutingEntry.call_id).where(RoutingEntry.status != "ended")
    ).all()
    pushes = Pushes()
    for entry, call in live:
        if call.ended_at is not None or call.status in ENDED_STATUSES:
            end_entry(session, entry, now, pushes)
            changes += 1
        elif entry.status == "offered" and call.status != "queued" and entry.transfer_to_id is None:
            withdraw_ringing(session, entry, now, pushes, "withdrawn")
            entry.status, entry.due_at = "waiting", None
            entry.version += 1
            entry.updated_at = now
            pushes.board = True
            changes += 1
    session.commit()
    pushes.send()
    return changes


def end_entry(session: Session, entry: RoutingEntry, now: datetime, pushes: Pushes) -> None:
    """Mark an entry ended and withdraw its ringing offers (the caller commits)."""
    withdraw_ringing(session, entry, now, pushes, "withdrawn")
    entry.status = "ended"
    entry.due_at = None
    entry.version += 1
    entry.updated_at = now
    pushes.board = True


def withdraw_ringing(session: Session, entry: RoutingEntry, now: datetime, pushes: Pushes, status: str) -> list[int]:
    """Close the entry's ringing offers with `status` and free their workers; return those workers."""
    ringing = session.scalars(select(Offer).where(Offer.entry_id == entry.id, Offer.status == "ringing")).all()
    for offer in ringing:
        offer.status = status
        offer.responded_at = now
        session.execute(
            update(WorkerPresence)
            .where(WorkerPresence.user_id == offer.worker_id, WorkerPresence.offered_call_id == entry.call_id)
            .values(offered_call_id=None, version=WorkerPresence.version + 1)
            .execution_options(synchronize_session=False)
        )
        pushes.closed.append((offer.worker_id, offer.id, status))
    return [offer.worker_id for offer in ringing]


def free_workers(session: Session, now: datetime) -> list[WorkerPresence]:
    """Return the workers who may be offered a call now: on duty, certified, available, not ringing."""
    on_duty = adapters.on_duty_worker_ids(session, now)
    if not on_duty:
        return []
    return list(
        session.scalars(
            select(WorkerPresence)
            .options(joinedload(WorkerPresence.user))
            .where(
                WorkerPresence.state == "available",
                WorkerPresence.offered_call_id.is_(None),
                WorkerPresence.current_call_id.is_(None),
                WorkerPresence.user_id.in_(on_duty),
            )
        )
    )


def choose_workers(
    entry: RoutingEntry, free: list[WorkerPresence], settings: RoutingSettings, now: datetime
) -> tuple[list[WorkerPresence], bool]:
    """Pick who gets the offer: skill fit first, then the longest idle; return them and whether a new cycle began."""
    if entry.transfer_to_id is not None:
        return [p for p in free if p.user_id == entry.transfer_to_id], False
    tried = set(entry.tried_worker_ids or ())
    pool = [p for p in free if p.user_id not in tried]
    new_cycle = False
    # Everyone free has had this call: start again, but not straight after the last refusal.
    if not pool and tried and entry.updated_at <= now - timedelta(seconds=settings.ring_seconds):
        pool, new_cycle = list(free), True
    ranked = sorted(
        pool,
        key=lambda p: (-skill_fit(p.user.skills, entry.service), p.idle_since or p.state_since, p.user_id),
    )
    return (ranked[:1] if settings.offer_mode == "one" else ranked), new_cycle


def route(session: Session, now: datetime, settings: RoutingSettings | None = None) -> list[Offer]:
    """Offer waiting calls (crisis first, then the longest waiting) to free workers; return the offers made."""
    settings = settings or load_routing_settings(session)
    free = free_workers(session, now)
    made: list[Offer] = []
    pushes = Pushes()
    if free:
        entries = session.scalars(
            select(RoutingEntry)
            .join(Call, Call.id == RoutingEntry.call_id)
            # A queued call, or a worker's call being transferred; not a caller gone to voicemail.
            .where(RoutingEntry.status == "waiting")
            .where(or_(Call.status == "queued", RoutingEntry.transfer_to_id.is_not(None)))
            .order_by(RoutingEntry.priority.desc(), RoutingEntry.queued_at, RoutingEntry.id)
        ).all()
        for entry in entries:
            if not free:
                break
            chosen, new_cycle = choose_workers(entry, free, settings, now)
            if not chosen:
                continue
            offers = offer_entry(session, entry, chosen, settings, now, new_cycle)
            taken = {offer.worker_id for offer in offers}
            free = [p for p in free if p.user_id not in taken]
            made += offers
    session.commit()
    for offer in made:
        pushes.offers.append(offer_payload(session, offer))
    pushes.send()
    return made


def offer_entry(
    session: Session,
    entry: RoutingEntry,
    chosen: list[WorkerPresence],
    settings: RoutingSettings,
    now: datetime,
    new_cycle: bool,
) -> list[Offer]:
    """Claim the entry and the chosen workers with conditional updates and create their offers."""
    savepoint = session.begin_nested()
    due = now + timedelta(seconds=settings.ring_seconds)
    version = entry.version + 1
    values: dict[str, Any] = {"status": "offered", "version": version, "round": entry.round + 1, "due_at": due}
    values["updated_at"] = now
    if new_cycle:
        values["tried_worker_ids"] = []
    claimed_entry = session.execute(
        update(RoutingEntry)
        .where(RoutingEntry.id == entry.id, RoutingEntry.status == "waiting", RoutingEntry.version == entry.version)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if claimed_entry.rowcount != 1:
        savepoint.rollback()
        return []
    offers: list[Offer] = []
    for presence in chosen:
        claimed = session.execute(
            update(WorkerPresence)
            .where(
                WorkerPresence.user_id == presence.user_id,
                WorkerPresence.state == "available",
                WorkerPresence.offered_call_id.is_(None),
                WorkerPresence.version == presence.version,
            )
            .values(offered_call_id=entry.call_id, version=presence.version + 1)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount == 1:
            offers.append(
                Offer(
                    entry_id=entry.id,
                    call_id=entry.call_id,
                    worker_id=presence.user_id,
                    round=entry.round + 1,
                    entry_version=version,
                    kind="transfer" if entry.transfer_to_id else "queue",
                    status="ringing",
                    offered_at=now,
                    due_at=due,
                )
            )
    if not offers:
        savepoint.rollback()
        return []
    session.add_all(offers)
    savepoint.commit()
    return offers


def offer_payload(session: Session, offer: Offer) -> dict[str, Any]:
    """Return what the worker's console shows for an offer."""
    call = session.get(Call, offer.call_id)
    return {
        "offer_id": offer.id,
        "worker_id": offer.worker_id,
        "call_id": offer.call_id,
        "kind": offer.kind,
        "service": call.service if call else None,
        "priority": call.priority if call else 0,
        "caller": mask_phone(call.from_number) if call else "—",
        "city": call.caller_city if call else None,
        "due_at": offer.due_at.isoformat(),
    }


def expire_offers(session: Session, now: datetime, settings: RoutingSettings | None = None) -> int:
    """Close the offers whose ring time is over and put their calls back to waiting; return how many."""
    settings = settings or load_routing_settings(session)
    due = session.scalars(
        select(RoutingEntry)
        .where(RoutingEntry.status == "offered", RoutingEntry.due_at <= now)
        .order_by(RoutingEntry.due_at)
        .limit(100)
        .with_for_update(skip_locked=True)
    ).all()
    pushes = Pushes()
    expired = 0
    for entry in due:
        if reopen_entry(session, entry, entry.version, now, pushes, ringing_status="missed"):
            expired += 1
            missed = [worker for worker, _offer, status in pushes.closed if status == "missed"]
            if settings.missed_offer_sets_break:
                for worker_id in missed:
                    _missed_to_break(session, worker_id, now, pushes)
    session.commit()
    pushes.send()
    return expired


def _missed_to_break(session: Session, worker_id: int, now: datetime, pushes: Pushes) -> None:
    """Set a worker who let an offer ring out to break, so calls are not held for an empty desk."""
    changed = session.execute(
        update(WorkerPresence)
        .where(WorkerPresence.user_id == worker_id, WorkerPresence.state == "available")
        .values(state="break", state_since=now, reason="missed_offer", version=WorkerPresence.version + 1)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount == 1 and (worker_id, "break") not in pushes.presence:
        pushes.presence.append((worker_id, "break"))


def reopen_entry(
    session: Session, entry: RoutingEntry, version: int, now: datetime, pushes: Pushes, ringing_status: str
) -> bool:
    """Put an offered entry back to waiting if its version is still `version`; close its ringing offers."""
    round_offers = session.scalars(select(Offer).where(Offer.entry_id == entry.id, Offer.round == entry.round)).all()
    refused = [o.worker_id for o in round_offers if o.status in ("ringing", "declined", "missed")]
    tried = list(dict.fromkeys([*(entry.tried_worker_ids or []), *refused]))
    values: dict[str, Any] = {"status": "waiting", "version": version + 1, "due_at": None, "updated_at": now}
    values.update(tried_worker_ids=tried, transfer_to_id=None, transfer_from_id=None)
    if entry.transfer_from_id is not None:
        # A cold transfer nobody took: the call stays with the worker who is still talking to the caller.
        values.update(status="accepted", worker_id=entry.transfer_from_id, tried_worker_ids=entry.tried_worker_ids)
        pushes.transfers_failed.append((entry.transfer_from_id, entry.call_id))
    changed = session.execute(
        update(RoutingEntry)
        .where(RoutingEntry.id == entry.id, RoutingEntry.status == "offered", RoutingEntry.version == version)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:
        return False
    if entry.transfer_from_id is not None:
        session.execute(
            update(CallTransfer)
            .where(CallTransfer.call_id == entry.call_id, CallTransfer.kind == "cold", CallTransfer.status == "started")
            .values(status="failed", updated_at=now)
            .execution_options(synchronize_session=False)
        )
    withdraw_ringing(session, entry, now, pushes, ringing_status)
    call = session.get(Call, entry.call_id)
    if call is not None:
        for offer in round_offers:
            if offer.status in ("missed", "declined"):
                adapters.add_call_event(session, call, f"offer.{offer.status}", now, worker_id=offer.worker_id)
    pushes.board = True
    return True
