"""Working a case after intake: find it, read it (audited), assign it, move its status, merge, close.

The closed loop: a case closes only once its outcome is confirmed, no follow-up
is pending and every referral has an outcome; closing appends a case event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.orm import Session

from hotline import audit, signals
from hotline.accounts.models import User
from hotline.cases import need_to_know
from hotline.cases.exceptions import CaseNotFound, CaseNotReady, InvalidTransition, MergeRefused
from hotline.cases.models import Case, CaseEvent, CaseNote, FollowUp, IntakeVersion, ReturnCall
from hotline.cases.vocabulary import CONFIRMED_OUTCOMES
from hotline.clock import hotline_zone, utcnow
from hotline.directory.models import Area
from hotline.privacy import normalise_phone, phone_lookup_hashes
from hotline.telephony.models import Call

PAGE_SIZE = 50
# Statuses a person may set by hand; closing and reopening have their own checks.
MANUAL_STATUSES = ("open", "in_progress", "referred")
# A referral is finished once it has an outcome or one of these statuses.
FINISHED_REFERRAL_STATUSES = ("closed", "completed", "cancelled", "declined", "resolved")


@dataclass
class CaseFilter:
    """What to look for in the case list; every field is optional."""

    phone: str | None = None
    reference: str | None = None
    area_id: int | None = None
    service: str | None = None
    target_group: str | None = None
    status: str | None = None
    worker_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    page: int = 1
    readable: Any = None
    """A query of the case ids the searcher may read (need-to-know), or None for every case."""


@dataclass
class CasePage:
    """One page of the case list."""

    cases: list[Case]
    total: int
    page: int
    pages: int


def get_case(session: Session, case_id: int) -> Case:
    """Return a case or raise CaseNotFound."""
    case = session.get(Case, case_id)
    if case is None:
        raise CaseNotFound(case_id)
    return case


def area_and_descendants(session: Session, area_id: int) -> list[int]:
    """Return the area's id and every id below it in the division tree."""
    found, frontier = [area_id], [area_id]
    while frontier:
        frontier = list(session.scalars(select(Area.id).where(Area.parent_id.in_(frontier))))
        found += frontier
    return found


def _contains(column: Any, value: str) -> Any:
    """Match a JSON list of codes holding `value` (portable: codes are quoted in the JSON text)."""
    return cast(column, String).like(f'%"{value}"%')


def local_day_start(day: date) -> datetime:
    """Return the UTC instant a local day starts."""
    return datetime.combine(day, time.min, tzinfo=hotline_zone())


def may_search_phone(session: Session, user: User, phone: str, region: str, now: datetime) -> bool:
    """Return whether the user may search by this number; a refusal is audited (see need_to_know)."""
    hashes = phone_lookup_hashes(normalise_phone(phone, region))
    allowed = need_to_know.may_search_phone(session, user, hashes)
    if not allowed:
        need_to_know.record_phone_search(session, user, 0, allowed=False, now=now)
    return allowed


def search_cases(
    session: Session,
    criteria: CaseFilter,
    region: str = "CN",
    searcher_id: int | None = None,
    now: datetime | None = None,
) -> CasePage:
    """Return the cases matching the filter, newest first; a number is matched through the keyed hash.

    A search by number is audited as case.phone_search (with how many cases matched, never the number).
    """
    query = select(Case).where(Case.merged_into_id.is_(None))
    if criteria.readable is not None:
        query = query.where(Case.id.in_(criteria.readable))
    if criteria.phone:
        hashes = phone_lookup_hashes(normalise_phone(criteria.phone, region))
        if not hashes:
            return CasePage([], 0, 1, 1)
        by_call = select(Call.case_id).where(Call.from_hash.in_(hashes), Call.case_id.is_not(None))
        query = query.where(or_(Case.caller_phone_hash.in_(hashes), Case.id.in_(by_call)))
    if criteria.reference:
        query = query.where(Case.reference.ilike(f"%{criteria.reference.strip()}%"))
    if criteria.area_id:
        query = query.where(Case.area_id.in_(area_and_descendants(session, criteria.area_id)))
    if criteria.service:
        query = query.where(_contains(Case.services, criteria.service))
    if criteria.target_group:
        query = query.where(_contains(Case.target_groups, criteria.target_group))
    if criteria.status:
        query = query.where(Case.status == criteria.status)
    if criteria.worker_id:
        query = query.where(Case.assigned_to_id == criteria.worker_id)
    if criteria.date_from:
        query = query.where(Case.created_at >= local_day_start(criteria.date_from))
    if criteria.date_to:
        query = query.where(Case.created_at < local_day_start(criteria.date_to + timedelta(days=1)))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    if criteria.phone and searcher_id is not None:
        searcher = session.get(User, searcher_id)
        if searcher is not None:
            need_to_know.record_phone_search(session, searcher, total, allowed=True, now=now or utcnow())
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, criteria.page), pages)
    rows = session.scalars(
        query.order_by(Case.created_at.desc(), Case.id.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    )
    return CasePage(list(rows), total, page, pages)


@dataclass
class TimelineEntry:
    """One thing that happened in a case, for the case page."""

    at: datetime
    kind: str
    item: Any
    overdue: bool = False


@dataclass
class CaseView:
    """Everything the case page shows."""

    case: Case
    timeline: list[TimelineEntry]
    follow_ups: list[FollowUp]
    referrals: list[Any]
    duplicates: list[Case] = field(default_factory=list)
    close_blockers: list[str] = field(default_factory=list)


def view_case(session: Session, case_id: int, viewer_id: int, now: datetime, address: str | None = None) -> CaseView:
    """Return the case with its timeline, and record the view in the audit log."""
    case = get_case(session, case_id)
    audit.record(session, "case.view", actor_id=viewer_id, target=f"case:{case.id}", address=address)
    session.commit()
    return CaseView(
        case=case,
        timeline=timeline(session, case, now),
        follow_ups=list(session.scalars(select(FollowUp).where(FollowUp.case_id == case.id).order_by(FollowUp.due_at))),
        referrals=signals.gather(signals.case_referrals, session=session, case_ids=[case.id]),
        duplicates=list(session.scalars(select(Case).where(Case.merged_into_id == case.id))),
        close_blockers=close_blockers(session, case, confirmed=True),
    )


def timeline(session: Session, case: Case, now: datetime) -> list[TimelineEntry]:
    """Return calls, intake versions, notes, referrals, follow-ups, return calls and changes, oldest first."""
    ids = [case.id] + list(session.scalars(select(Case.id).where(Case.merged_into_id == case.id)))
    entries: list[TimelineEntry] = []
    for call in session.scalars(select(Call).where(Call.case_id.in_(ids))):
        entries.append(TimelineEntry(call.created_at, "call", call))
    for version in session.scalars(select(IntakeVersion).where(IntakeVersion.case_id.in_(ids))):
        entries.append(TimelineEntry(version.created_at, "intake", version))
    for note in session.scalars(select(CaseNote).where(CaseNote.case_id.in_(ids))):
        entries.append(TimelineEntry(note.created_at, "note", note))
    for referral in signals.gather(signals.case_referrals, session=session, case_ids=ids):
        entries.append(TimelineEntry(referral.created_at, "referral", referral))
        if referral.acknowledged_at is not None:
            entries.append(TimelineEntry(referral.acknowledged_at, "referral_acknowledged", referral))
    for follow_up in session.scalars(select(FollowUp).where(FollowUp.case_id.in_(ids))):
        entries.append(TimelineEntry(follow_up.created_at, "follow_up", follow_up, is_overdue(follow_up, now)))
        if follow_up.completed_at is not None:
            entries.append(TimelineEntry(follow_up.completed_at, "follow_up_done", follow_up))
    for return_call in session.scalars(select(ReturnCall).where(ReturnCall.case_id.in_(ids))):
        entries.append(TimelineEntry(return_call.at, "return_call", return_call))
    for event in session.scalars(select(CaseEvent).where(CaseEvent.case_id.in_(ids))):
        entries.append(TimelineEntry(event.at, "event", event))
    order = ["call", "event", "intake", "note", "referral", "referral_acknowledged", "follow_up", "return_call"]
    return sorted(entries, key=lambda e: (e.at, order.index(e.kind) if e.kind in order else 99))


OVERDUE_AFTER = timedelta(minutes=30)


def is_overdue(follow_up: FollowUp, now: datetime) -> bool:
    """Return whether a pending follow-up is more than 30 minutes past its time."""
    return follow_up.status == "pending" and follow_up.due_at + OVERDUE_AFTER <= now


def assign_case(session: Session, case_id: int, assignee_id: int | None, actor_id: int, now: datetime) -> Case:
    """Give the case to a worker (or to nobody), recorded as a case event."""
    case = get_case(session, case_id)
    if assignee_id is not None and session.get(User, assignee_id) is None:
        raise CaseNotFound(f"user {assignee_id}")
    previous = case.assigned_to_id
    case.assigned_to_id = assignee_id
    session.add(
        CaseEvent(
            case_id=case.id, kind="assigned", at=now, actor_id=actor_id, data={"from": previous, "to": assignee_id}
        )
    )
    session.commit()
    return case


def set_status(session: Session, case_id: int, status: str, actor_id: int, now: datetime) -> Case:
    """Move an open case between open, in progress and referred.

    Raises:
        InvalidTransition: the status is closing or reopening (which have their own steps) or the case is closed.
    """
    case = get_case(session, case_id)
    if status not in MANUAL_STATUSES or case.status == "closed":
        raise InvalidTransition(status)
    if status != case.status:
        session.add(
            CaseEvent(
                case_id=case.id, kind="status", at=now, actor_id=actor_id, data={"from": case.status, "to": status}
            )
        )
        case.status = status
        session.commit()
    return case


def close_blockers(session: Session, case: Case, confirmed: bool) -> list[str]:
    """Return why the case cannot close yet (codes): outcome not confirmed, follow-ups pending, referrals open."""
    reasons = []
    if not confirmed:
        reasons.append("outcome_not_confirmed")
    pending = session.scalar(
        select(func.count(FollowUp.id)).where(FollowUp.case_id == case.id, FollowUp.status == "pending")
    )
    if pending:
        reasons.append("follow_ups_pending")
    referrals = signals.gather(signals.case_referrals, session=session, case_ids=[case.id])
    if any(r.outcome is None and r.status not in FINISHED_REFERRAL_STATUSES for r in referrals):
        reasons.append("referrals_open")
    return reasons


def close_case(
    session: Session, case_id: int, confirmed_outcome: str | None, actor_id: int, now: datetime, note: str | None = None
) -> Case:
    """Close a case once its outcome is confirmed and nothing is left open.

    Raises:
        CaseNotReady: `reasons` lists what is still open (outcome_not_confirmed, follow_ups_pending, referrals_open).
        InvalidTransition: the case is already closed.
    """
    case = get_case(session, case_id)
    if case.status == "closed":
        raise InvalidTransition("closed")
    confirmed = confirmed_outcome in CONFIRMED_OUTCOMES
    reasons = close_blockers(session, case, confirmed)
    if reasons:
        raise CaseNotReady(reasons)
    case.confirmed_outcome, case.confirmed_at, case.confirmed_by_id = confirmed_outcome, now, actor_id
    case.status, case.closed_at = "closed", now
    session.add(
        CaseEvent(
            case_id=case.id,
            kind="closed",
            at=now,
            actor_id=actor_id,
            data={"outcome": confirmed_outcome, "note": note or ""},
        )
    )
    session.commit()
    return case


def reopen_case(session: Session, case_id: int, actor_id: int, now: datetime, reason: str = "") -> Case:
    """Reopen a closed case (the confirmed outcome stays in its history)."""
    case = get_case(session, case_id)
    if case.status != "closed" or case.merged_into_id is not None:
        raise InvalidTransition("reopened")
    case.status, case.closed_at = "reopened", None
    case.confirmed_outcome = case.confirmed_at = case.confirmed_by_id = None
    session.add(CaseEvent(case_id=case.id, kind="reopened", at=now, actor_id=actor_id, data={"reason": reason}))
    session.commit()
    return case


def add_note(session: Session, case_id: int, author_id: int, body: str, now: datetime) -> CaseNote:
    """Add a note to a case."""
    case = get_case(session, case_id)
    note = CaseNote(case_id=case.id, author_id=author_id, body=body.strip(), created_at=now)
    session.add(note)
    session.commit()
    return note


def merge_cases(session: Session, keep_id: int, duplicate_id: int, actor_id: int, now: datetime) -> Case:
    """Merge a duplicate into the case kept: calls, notes, follow-ups and referrals move; the duplicate closes.

    Intake versions stay on the duplicate (its history), and the kept case's timeline shows them.

    Raises:
        MergeRefused: the same case, or either one was already merged.
    """
    keep, duplicate = get_case(session, keep_id), get_case(session, duplicate_id)
    if keep.id == duplicate.id or keep.merged_into_id is not None or duplicate.merged_into_id is not None:
        raise MergeRefused(duplicate_id)
    for model in (Call, CaseNote, FollowUp, ReturnCall):
        for row in session.scalars(select(model).where(model.case_id == duplicate.id)):
            row.case_id = keep.id
    signals.cases_merged.send(session=session, keep_id=keep.id, duplicate_id=duplicate.id)
    keep.services = sorted(set(keep.services) | set(duplicate.services))
    keep.target_groups = sorted(set(keep.target_groups) | set(duplicate.target_groups))
    keep.caller_phone = keep.caller_phone or duplicate.caller_phone
    keep.caller_phone_hash = keep.caller_phone_hash or duplicate.caller_phone_hash
    keep.caller_name = keep.caller_name or duplicate.caller_name
    keep.consent_callback = keep.consent_callback or duplicate.consent_callback
    keep.area_id = keep.area_id or duplicate.area_id
    duplicate.merged_into_id, duplicate.status, duplicate.closed_at = keep.id, "closed", now
    session.add(
        CaseEvent(case_id=duplicate.id, kind="merged", at=now, actor_id=actor_id, data={"into": keep.reference})
    )
    session.add(
        CaseEvent(case_id=keep.id, kind="merged_in", at=now, actor_id=actor_id, data={"from": duplicate.reference})
    )
    session.commit()
    return keep


def find_case_by_reference(session: Session, reference: str) -> Case | None:
    """Return the case with this exact reference."""
    return session.scalar(select(Case).where(Case.reference == reference.strip()))


def workers(session: Session) -> list[User]:
    """Return active people who may be given cases and follow-ups."""
    return list(session.scalars(select(User).where(User.active).order_by(User.display_name)))


def area_choices(session: Session) -> list[tuple[str, str]]:
    """Return (id, name) pairs for area selects: streets, each followed by its communities."""
    areas = list(
        session.scalars(select(Area).where(Area.level.in_(("district", "street", "community"))).order_by(Area.code))
    )
    return [(str(area.id), ("— " if area.level == "community" else "") + area.name) for area in areas]
