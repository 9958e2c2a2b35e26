"""Reading referrals: the escalation board, the figures, one chain, and the API's shape."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from hotline import audit
from hotline.cases.models import Case
from hotline.directory.models import Area
from hotline.escalation.models import (
    OPEN_REFERRAL,
    OWNED_REFERRAL,
    ROBOT_CHANNELS,
    Escalation,
    EscalationPolicy,
    EscalationStatus,
    NotificationAttempt,
    Referral,
    ReferralStatus,
    ReferralStep,
    referral_ended,
)
from hotline.escalation.providers import read_robot_destination
from hotline.privacy import mask_phone
from hotline.telephony.models import Call


@dataclass
class Board:
    """What the escalation board shows."""

    pending: list[Referral] = field(default_factory=list)
    overdue: list[Referral] = field(default_factory=list)
    acknowledged: list[Referral] = field(default_factory=list)
    unowned: list[Escalation] = field(default_factory=list)
    by_station: list[tuple[str, int, int]] = field(default_factory=list)
    by_expert: list[tuple[str, int, int]] = field(default_factory=list)


def is_overdue(referral: Referral, now: datetime) -> bool:
    """Return whether an open referral is past its deadline."""
    return referral.status in OPEN_REFERRAL and referral.due_at is not None and referral.due_at < now


def board(session: Session, now: datetime) -> Board:
    """Return open and owned referrals, chains nobody took, and the load per station and expert."""
    live = (*OPEN_REFERRAL, *OWNED_REFERRAL)
    referrals = session.scalars(
        select(Referral)
        .where(Referral.status.in_(live))
        .options(selectinload(Referral.escalation), selectinload(Referral.case))
        .order_by(Referral.due_at)
    ).all()
    result = Board()
    for referral in referrals:
        if referral.status in OWNED_REFERRAL:
            result.acknowledged.append(referral)
        elif is_overdue(referral, now):
            result.overdue.append(referral)
        else:
            result.pending.append(referral)
    result.unowned = list(
        session.scalars(
            select(Escalation)
            .where(Escalation.status == EscalationStatus.EXHAUSTED.value)
            .order_by(Escalation.ended_at.desc())
            .limit(20)
        )
    )
    for kind, target in (("station", result.by_station), ("expert", result.by_expert)):
        waiting = Counter(r.target_name for r in referrals if r.target_kind == kind and r.status in OPEN_REFERRAL)
        owned = Counter(r.target_name for r in referrals if r.target_kind == kind and r.status in OWNED_REFERRAL)
        target.extend(sorted(((name, waiting[name], owned[name]) for name in waiting | owned), key=str))
    return result


@dataclass
class Figures:
    """Acknowledgement figures for a period."""

    escalations: int
    acknowledged: int
    exhausted: int
    median_minutes_to_acknowledge: float | None
    mean_minutes_to_acknowledge: float | None
    within_deadline: int
    with_deadline: int

    @property
    def share_within_deadline(self) -> float | None:
        """Return the share of answered-or-lapsed referrals owned before their deadline."""
        return self.within_deadline / self.with_deadline if self.with_deadline else None


def figures(session: Session, since: datetime, until: datetime) -> Figures:
    """Return time to acknowledge and the share within the deadline for chains started in [since, until)."""
    chains = session.scalars(
        select(Escalation).where(Escalation.started_at >= since, Escalation.started_at < until)
    ).all()
    minutes = [
        (chain.acknowledged_at - chain.started_at).total_seconds() / 60 for chain in chains if chain.acknowledged_at
    ]
    referrals = session.scalars(
        select(Referral).where(Referral.created_at >= since, Referral.created_at < until, Referral.due_at.is_not(None))
    ).all()
    owned = [r for r in referrals if r.status in (*OWNED_REFERRAL, ReferralStatus.DONE.value) and r.acknowledged_at]
    lapsed = [r for r in referrals if r.status == ReferralStatus.EXPIRED and r.closed_at and r.closed_at >= r.due_at]
    return Figures(
        escalations=len(chains),
        acknowledged=sum(1 for chain in chains if chain.acknowledged_at),
        exhausted=sum(1 for chain in chains if chain.status == EscalationStatus.EXHAUSTED),
        median_minutes_to_acknowledge=round(statistics.median(minutes), 1) if minutes else None,
        mean_minutes_to_acknowledge=round(statistics.fmean(minutes), 1) if minutes else None,
        within_deadline=sum(1 for r in owned if r.acknowledged_at <= r.due_at),
        with_deadline=len(owned) + len(lapsed),
    )


def get_escalation(session: Session, escalation_id: int) -> Escalation | None:
    """Return one chain with its referrals, attempts and events."""
    return session.scalar(
        select(Escalation)
        .where(Escalation.id == escalation_id)
        .options(selectinload(Escalation.referrals).selectinload(Referral.attempts), selectinload(Escalation.events))
    )


def referrals_for_case(session: Session, case_id: int) -> list[Referral]:
    """Return a case's referrals, newest first (for the case page and the console)."""
    return list(
        session.scalars(select(Referral).where(Referral.case_id == case_id).order_by(Referral.created_at.desc()))
    )


def list_referrals(
    session: Session,
    now: datetime,
    status: str | None = None,
    overdue: bool | None = None,
    limit: int = 200,
    readable: Any = None,
) -> list[Referral]:
    """Return referrals filtered by state and lateness, newest first.

    `readable`, a query of case ids (need-to-know), keeps referrals of those cases and those without a case.
    """
    query = select(Referral).order_by(Referral.created_at.desc(), Referral.id.desc())
    if readable is not None:
        query = query.where(Referral.case_id.is_(None) | Referral.case_id.in_(readable))
    if status:
        query = query.where(Referral.status == status)
    if overdue is True:
        query = query.where(Referral.status.in_(OPEN_REFERRAL), Referral.due_at < now)
    elif overdue is False:
        query = query.where(
            (Referral.due_at.is_(None)) | (Referral.due_at >= now) | Referral.status.not_in(OPEN_REFERRAL)
        )
    return list(session.scalars(query.limit(limit)))


def iso(moment: datetime | None) -> str | None:
    """Return an ISO 8601 string or None."""
    return moment.isoformat() if moment is not None else None


def attempt_json(attempt: NotificationAttempt) -> dict[str, Any]:
    """Return a notification attempt for the API (phone numbers masked, robots named by their URL's host only)."""
    destination = attempt.destination
    if attempt.channel in ROBOT_CHANNELS:
        destination = urlsplit(read_robot_destination(destination)[0].url).hostname or attempt.channel
    else:
        destination = mask_phone(destination)
    return {
        "id": attempt.id,
        "channel": attempt.channel,
        "to": destination,
        "two_way": attempt.two_way,
        "status": attempt.status,
        "provider_id": attempt.provider_id,
        "error": attempt.error,
        "created_at": iso(attempt.created_at),
        "sent_at": iso(attempt.sent_at),
        "updated_at": iso(attempt.updated_at),
    }


def step_json(step: ReferralStep) -> dict[str, Any]:
    """Return one event of the chain."""
    return {
        "id": step.id,
        "kind": step.kind,
        "at": iso(step.at),
        "referral_id": step.referral_id,
        "detail": {k: v for k, v in step.detail.items() if k != "note"},
    }


def referral_json(referral: Referral, now: datetime) -> dict[str, Any]:
    """Return a referral with its case, target, state, deadline, steps and notification attempts."""
    case = referral.case
    escalation = referral.escalation
    steps = [
        step_json(step)
        for step in (escalation.events if escalation is not None else [])
        if step.referral_id in (None, referral.id)
    ]
    return {
        "id": referral.id,
        "status": referral.status,
        "overdue": is_overdue(referral, now),
        "reason": referral.reason,
        "urgency": referral.urgency,
        "due_at": iso(referral.due_at),
        "created_at": iso(referral.created_at),
        "acknowledged_at": iso(referral.acknowledged_at),
        "closed_at": iso(referral.closed_at),
        "outcome": referral.outcome,
        "outcome_note": referral.outcome_note,
        "case": None
        if case is None
        else {
            "id": case.id,
            "reference": case.reference,
            "area_id": case.area_id,
            "caller": mask_phone(case.caller_phone),
        },
        "target": {"kind": referral.target_kind, "id": referral.target_id, "name": referral.target_name},
        "escalation": None
        if escalation is None
        else {
            "id": escalation.id,
            "status": escalation.status,
            "trigger": escalation.trigger,
            "step": escalation.step_index,
            "call_id": escalation.call_id,
        },
        "steps": steps,
        "attempts": [attempt_json(attempt) for attempt in referral.attempts],
    }


def get_case(session: Session, case_id: int | None) -> Case | None:
    """Return a case by id."""
    return session.get(Case, case_id) if case_id else None


def get_referral(session: Session, referral_id: int) -> Referral | None:
    """Return one referral."""
    return session.get(Referral, referral_id)


def get_policy(session: Session, policy_id: int) -> EscalationPolicy | None:
    """Return one policy."""
    return session.get(EscalationPolicy, policy_id)


@dataclass
class ResponderView:
    """Only what a responder needs: no name or number without the caller's consent."""

    referral: Referral
    reason: str
    urgency: str
    area: str | None
    summary: str | None
    ask: str | None
    caller_name: str | None
    caller_number: str | None
    shared: bool


def referral_has_ended(session: Session, referral_id: int) -> bool:
    """Return whether the referral is over, so its link shows nothing any more."""
    referral = session.get(Referral, referral_id, populate_existing=True)
    return referral is None or referral_ended(referral)


def responder_view(session: Session, referral_id: int, audit_view: bool = False) -> ResponderView:
    """Return the responder page's content for a referral; `audit_view` records that a responder read it."""
    referral = session.get(Referral, referral_id, populate_existing=True)
    escalation = referral.escalation
    case = referral.case
    shared = bool(escalation and escalation.shares_personal_details)
    area = session.get(Area, escalation.area_id) if escalation and escalation.area_id else None
    number = None
    if shared:
        number = case.caller_phone if case is not None and case.caller_phone else None
        if number is None and escalation.call_id:
            call = session.get(Call, escalation.call_id)
            number = call.from_number if call is not None else None
    if audit_view:
        audit.record(
            session,
            "referral.responder_view",
            target=f"referral:{referral.id}",
            detail={"case_id": referral.case_id, "target": referral.target_name, "caller_details": shared},
        )
        session.commit()
    return ResponderView(
        referral=referral,
        reason=referral.reason,
        urgency=referral.urgency,
        area=area.name if area is not None else None,
        summary=case.summary if case is not None else None,
        ask=referral.note,
        caller_name=case.caller_name if shared and case is not None else None,
        caller_number=number,
        shared=shared,
    )


def attempt_body(session: Session, attempt_id: int) -> str:
    """Return what a notification attempt says (read out on a voice call).

    Raises:
        LookupError: no such attempt.
    """
    attempt = session.get(NotificationAttempt, attempt_id)
    if attempt is None:
        raise LookupError(attempt_id)
    return attempt.body or ""
