"""Need-to-know on case data: who may read a case, break glass for everyone else, phone search.

A case is open to its handlers (the workers who took its calls, wrote its intakes,
were given it or one of its follow-ups, or a referral of it), to the worker on a
live call with its caller, and to supervisors. Managers and admins read figures,
not case contents. Anyone else may "break glass": give a reason, and the case
opens to them for BREAK_GLASS_HOURS; the access is an audit entry
(`case.break_glass`) that supervisors see listed on /cases/break-glass.
Search by phone number is for supervisors and the worker on a live call with that
number, and every such search is audited (`case.phone_search`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from hotline import audit, signals
from hotline.accounts.models import User
from hotline.audit import AuditEntry
from hotline.cases.exceptions import CaseError
from hotline.cases.models import Case, FollowUp, IntakeVersion
from hotline.telephony.models import Call
from hotline.vocabulary import Role

BREAK_GLASS_HOURS = 8
"""How long a break-glass access stays open (a working day); after that, a new reason."""
BREAK_GLASS_ACTION = "case.break_glass"
PHONE_SEARCH_ACTION = "case.phone_search"
REASON_MIN_LENGTH = 5


class Access(StrEnum):
    """Why a user may read a case (or that they may not)."""

    SUPERVISOR = "supervisor"
    HANDLER = "handler"
    LIVE_CALL = "live_call"
    BREAK_GLASS = "break_glass"
    NONE = "none"


class ReasonRequired(CaseError):
    """Break glass needs a reason of at least REASON_MIN_LENGTH characters (five: a Chinese reason is short)."""


def reads_every_case(user: User) -> bool:
    """Return whether the user reads every case by role: supervisors (not managers or admins, who read figures)."""
    return user.role == Role.SUPERVISOR.value


def handled_case_ids(user_id: int) -> Select:
    """Return a query of the ids of the cases the user handled (calls, intakes, assignment, follow-ups, referrals)."""
    return (
        select(Call.case_id)
        .where(Call.worker_id == user_id, Call.case_id.is_not(None))
        .union(
            select(IntakeVersion.case_id).where(IntakeVersion.worker_id == user_id, IntakeVersion.case_id.is_not(None)),
            select(Case.id).where(Case.assigned_to_id == user_id),
            select(FollowUp.case_id).where(FollowUp.assignee_id == user_id),
            *(query for _receiver, query in signals.case_handlers.send(user_id=user_id)),
        )
    )


def live_call_hashes(session: Session, user_id: int) -> set[str]:
    """Return the look-up hashes of the callers the user is talking to now (answered, not ended)."""
    rows = session.scalars(
        select(Call.from_hash).where(
            Call.worker_id == user_id,
            Call.answered_at.is_not(None),
            Call.ended_at.is_(None),
            Call.from_hash.is_not(None),
        )
    )
    return set(rows)


def related_case_ids(session: Session, case: Case) -> list[int]:
    """Return the case's id, its merged duplicates' and the case it was merged into."""
    ids = [case.id, *session.scalars(select(Case.id).where(Case.merged_into_id == case.id))]
    if case.merged_into_id is not None:
        ids.append(case.merged_into_id)
    return ids


def active_break_glass(session: Session, case_ids: list[int], user_id: int, now: datetime) -> AuditEntry | None:
    """Return the user's open break-glass access to one of these cases, if any."""
    return session.scalar(
        select(AuditEntry)
        .where(
            AuditEntry.action == BREAK_GLASS_ACTION,
            AuditEntry.actor_id == user_id,
            AuditEntry.target.in_([f"case:{case_id}" for case_id in case_ids]),
            AuditEntry.at > now - timedelta(hours=BREAK_GLASS_HOURS),
            AuditEntry.at <= now,
        )
        .limit(1)
    )


def case_access(session: Session, case: Case, user: User, now: datetime) -> Access:
    """Return why the user may read the case, or Access.NONE."""
    if reads_every_case(user):
        return Access.SUPERVISOR
    ids = related_case_ids(session, case)
    handled = select(handled_case_ids(user.id).subquery().c[0])
    if session.scalar(select(Case.id).where(Case.id.in_(ids), Case.id.in_(handled)).limit(1)) is not None:
        return Access.HANDLER
    callers = live_call_hashes(session, user.id)
    if callers:
        by_number = select(Case.id).where(Case.id.in_(ids), Case.caller_phone_hash.in_(callers))
        by_call = select(Call.id).where(Call.case_id.in_(ids), Call.from_hash.in_(callers))
        if session.scalar(by_number.limit(1)) is not None or session.scalar(by_call.limit(1)) is not None:
            return Access.LIVE_CALL
    if active_break_glass(session, ids, user.id, now) is not None:
        return Access.BREAK_GLASS
    return Access.NONE


def may_read_case(session: Session, case: Case, user: User, now: datetime) -> bool:
    """Return whether the user may read the case now."""
    return case_access(session, case, user, now) is not Access.NONE


def readable_case_ids(session: Session, user: User, now: datetime) -> Select | None:
    """Return a query of the case ids the user may read, or None when they read every case."""
    if reads_every_case(user):
        return None
    since = now - timedelta(hours=BREAK_GLASS_HOURS)
    glass = select(AuditEntry.target).where(
        AuditEntry.action == BREAK_GLASS_ACTION, AuditEntry.actor_id == user.id, AuditEntry.at > since
    )
    targets = [target for target in session.scalars(glass) if target and target.startswith("case:")]
    opened = [int(target[5:]) for target in targets if target[5:].isdigit()]
    handled = select(handled_case_ids(user.id).subquery().c[0])
    callers = live_call_hashes(session, user.id)
    conditions = [Case.id.in_(handled), Case.id.in_(opened)]
    if callers:
        conditions.append(Case.caller_phone_hash.in_(callers))
    return select(Case.id).where(or_(*conditions))


def break_glass(session: Session, case: Case, user: User, reason: str, now: datetime) -> AuditEntry:
    """Open a case to a user who has no need-to-know, for BREAK_GLASS_HOURS, with their reason (audited).

    Raises:
        ReasonRequired: the reason is empty or shorter than REASON_MIN_LENGTH.
    """
    reason = (reason or "").strip()
    if len(reason) < REASON_MIN_LENGTH:
        raise ReasonRequired(reason)
    entry = audit.record(
        session,
        BREAK_GLASS_ACTION,
        actor_id=user.id,
        target=f"case:{case.id}",
        detail={"reason": reason, "reference": case.reference, "role": user.role},
    )
    entry.at = now
    session.commit()
    return entry


@dataclass
class BreakGlassRow:
    """One break-glass access, for the supervisors' list."""

    entry: AuditEntry
    user: User | None
    case: Case | None


def break_glass_log(session: Session, since: datetime, limit: int = 200) -> list[BreakGlassRow]:
    """Return the break-glass accesses since `since`, newest first, with who and which case."""
    entries = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.action == BREAK_GLASS_ACTION, AuditEntry.at >= since)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(limit)
    ).all()
    rows = []
    for entry in entries:
        case_id = entry.target[5:] if entry.target and entry.target.startswith("case:") else ""
        case = session.get(Case, int(case_id)) if case_id.isdigit() else None
        rows.append(BreakGlassRow(entry, session.get(User, entry.actor_id) if entry.actor_id else None, case))
    return rows


def may_search_phone(session: Session, user: User, hashes: list[str]) -> bool:
    """Return whether the user may search cases by this number: a supervisor, or on a live call with it."""
    if reads_every_case(user):
        return True
    return bool(set(hashes) & live_call_hashes(session, user.id))


def record_phone_search(session: Session, user: User, matches: int, allowed: bool, now: datetime) -> None:
    """Audit a search by phone number (the number itself is not written down)."""
    entry = audit.record(
        session, PHONE_SEARCH_ACTION, actor_id=user.id, target="cases", detail={"matches": matches, "allowed": allowed}
    )
    entry.at = now
    session.commit()
