"""Escalations: start a chain, run its steps on durable deadlines, take the answers.

A step never runs twice: the tick claims a due chain (FOR UPDATE SKIP LOCKED on
PostgreSQL, a conditional UPDATE … WHERE version = :v on SQLite), re-checks its
state, runs the step and bumps the version in the same transaction; each run
also writes a `step:<index>:<repeat>` event that the database refuses twice.
Notifications are stored with the step and sent after the commit.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hotline import audit
from hotline.accounts.models import User
from hotline.cases.models import Case
from hotline.escalation.events import publish
from hotline.escalation.exceptions import (
    AlreadyAnswered,
    CaseNotFound,
    NotAllowed,
    NotOwned,
    OverrideReasonMissing,
    ReferralExpired,
    ReferralNotFound,
)
from hotline.escalation.models import (
    OPEN_REFERRAL,
    OWNED_REFERRAL,
    Escalation,
    EscalationStatus,
    Reason,
    Referral,
    ReferralStatus,
    ResponderReplyCode,
    TargetKind,
    Urgency,
    lock_escalation,
    log_event,
)
from hotline.escalation.notifications import create_attempts, dispatch, queued_attempt_ids
from hotline.escalation.policies import choose_policy, setting
from hotline.escalation.recipients import Recipient, next_shift_start, recipient_of, resolve
from hotline.telephony.models import Call
from hotline.telephony.providers import TelephonyProvider
from hotline.vocabulary import Risk, Role

log = logging.getLogger("hotline.escalation")
CALLBACK_TRIGGERS = ("missed", "abandoned", "voicemail", "callback-requested")
OUTCOMES = ("resolved", "followed_up", "referred_on", "unreachable", "could_not_help")


# --- Starting a chain -----------------------------------------------------------------------------


def required_first_step(snapshot: dict[str, Any], kind: TargetKind, minutes: int, urgency: str | None) -> None:
    """Make a copied policy start with `kind` (callbacks go to the duty team first, risk to the supervisor)."""
    steps = snapshot.setdefault("steps", [])
    if not steps or kind.value not in steps[0].get("targets", []):
        steps.insert(
            0, {"targets": [kind.value], "wait_minutes": minutes, "repeat": 0, "skill": None, "urgency": urgency}
        )


def start_escalation(
    session: Session,
    *,
    trigger: str,
    reason: str,
    urgency: str,
    now: datetime,
    case: Case | None = None,
    call: Call | None = None,
    skill: str | None = None,
    note: str | None = None,
    actor_id: int | None = None,
    override_reason: str | None = None,
    run_first_step: bool = True,
) -> tuple[Escalation, list[int]]:
    """Copy the policy into a new chain and, unless told to leave it to the tick, run its first step.

    Returns the chain and the ids of the attempts to send once the caller commits.
    Raises:
        NoPolicy: no active policy fits.
    """
    policy = choose_policy(session, reason, urgency)
    snapshot = policy.snapshot()
    if reason == Reason.CALLBACK:
        minutes = int(setting(session, "escalation.callback")["duty_team_minutes"])
        required_first_step(snapshot, TargetKind.DUTY_TEAM, minutes, None)
    if reason == Reason.RISK:
        required_first_step(snapshot, TargetKind.SUPERVISOR, 5, Urgency.EMERGENCY.value)
    area_id = case.area_id if case is not None else None
    escalation = Escalation(
        case=case,
        case_id=case.id if case is not None else None,
        call_id=call.id if call is not None else None,
        trigger=trigger,
        reason=reason,
        urgency=urgency,
        skill=skill or None,
        note=note or None,
        area_id=area_id,
        policy_id=policy.id,
        policy=snapshot,
        status=EscalationStatus.RUNNING.value,
        step_index=-1,
        due_at=now,
        version=0,
        consent_override=override_reason is not None,
        override_reason=override_reason,
        override_by_id=actor_id if override_reason is not None else None,
        created_by_id=actor_id,
        started_at=now,
    )
    session.add(escalation)
    session.flush()
    log_event(session, escalation, "started", now, actor_id=actor_id, trigger=trigger, policy=snapshot.get("name"))
    attempts = advance(session, escalation, now) if run_first_step else []
    return escalation, attempts


def escalate_case(
    session: Session,
    case_id: int,
    *,
    reason: str,
    skill: str | None = None,
    urgency: str,
    note: str | None,
    actor_id: int | None,
    now: datetime,
    provider: TelephonyProvider,
    consent_override_reason: str | None = None,
) -> Escalation:
    """Escalate a case from the intake: copy the policy, notify the first targets, return the chain.

    A consent override (personal details to targets although the caller did not agree)
    needs a supervisor and a reason, and is written to the audit log.
    Raises:
        CaseNotFound, NotAllowed, OverrideReasonMissing, NoPolicy.
    """
    case = session.get(Case, case_id)
    if case is None:
        raise CaseNotFound(str(case_id))
    if consent_override_reason is not None:
        actor = session.get(User, actor_id) if actor_id else None
        if actor is None or not actor.has_role(Role.SUPERVISOR):
            raise NotAllowed("consent override")
        if not consent_override_reason.strip():
            raise OverrideReasonMissing()
        consent_override_reason = consent_override_reason.strip()
    escalation, attempts = start_escalation(
        session,
        trigger="worker",
        reason=reason,
        urgency=urgency,
        now=now,
        case=case,
        skill=skill,
        note=note,
        actor_id=actor_id,
        override_reason=consent_override_reason,
    )
    if consent_override_reason is not None:
        audit.record(
            session,
            "escalation.consent_override",
            actor_id=actor_id,
            target=f"case:{case.id}",
            detail={"escalation_id": escalation.id, "reason": consent_override_reason},
        )
    session.commit()
    publish(escalation=escalation)
    dispatch(session, attempts, provider, now)
    return escalation


# --- Running the steps ----------------------------------------------------------------------------


def open_referrals(escalation: Escalation, step_number: int) -> list[Referral]:
    """Return the step's referrals still waiting for an answer."""
    return [r for r in escalation.referrals if r.step_number == step_number and r.status in OPEN_REFERRAL]


def expire_open(session: Session, escalation: Escalation, now: datetime, why: str) -> None:
    """Close every referral of the chain still waiting for an answer."""
    for referral in escalation.referrals:
        if referral.status in OPEN_REFERRAL:
            referral.status, referral.closed_at = ReferralStatus.EXPIRED.value, now
            log_event(session, escalation, "expired", now, referral=referral, why=why)


def new_referral(
    escalation: Escalation, recipient: Recipient, step_number: int, due_at: datetime, now: datetime
) -> Referral:
    """Return a referral of the chain to one recipient."""
    column = {"station": "station_id", "expert": "expert_id", "organisation": "organisation_id", "user": "user_id"}
    referral = Referral(
        case_id=escalation.case_id,
        escalation=escalation,
        step_number=step_number,
        reason=escalation.reason,
        urgency=escalation.urgency,
        status=ReferralStatus.PENDING.value,
        target_kind=recipient.kind,
        target_id=recipient.id,
        target_name=recipient.name,
        target_phone=recipient.phone,
        note=escalation.note,
        due_at=due_at,
        created_by_id=escalation.created_by_id,
        created_at=due_at,
    )
    setattr(referral, column[recipient.kind], recipient.id)
    return referral


def advance(session: Session, escalation: Escalation, now: datetime) -> list[int]:
    """Run the chain's next step (or repeat the current one); return the attempts to send after commit.

    The caller holds the claim on the row and commits.
    """
    if escalation.status != EscalationStatus.RUNNING:
        return []
    steps = escalation.policy.get("steps", [])
    team_webhook = setting(session, "escalation.team_webhook").get("url")
    index, repeat = escalation.step_index, escalation.repeat_index
    while True:
        current = steps[index] if 0 <= index < len(steps) else None
        repeating = bool(current and repeat < int(current.get("repeat") or 0) and open_referrals(escalation, index))
        if repeating:
            repeat += 1
        else:
            expire_open(session, escalation, now, "deadline passed")
            index, repeat = index + 1, 0
        if index >= len(steps):
            escalation.status, escalation.ended_at, escalation.due_at = EscalationStatus.EXHAUSTED.value, now, None
            escalation.step_index, escalation.version = index, escalation.version + 1
            log_event(session, escalation, "exhausted", now, dedupe_key="exhausted")
            return []
        step = steps[index]
        due_at = now + timedelta(minutes=int(step.get("wait_minutes") or 0))
        if repeating:
            pairs = [(r, recipient_of(session, r, team_webhook)) for r in open_referrals(escalation, index)]
        else:
            recipients = resolve(session, escalation, step, now, team_webhook)
            if not recipients:
                later = next_shift_start(session, now) if step.get("targets") == [TargetKind.DUTY_TEAM.value] else None
                if later is not None and later - now <= timedelta(hours=24):
                    # Nobody on duty: wait for the next shift rather than skip the duty team.
                    escalation.step_index, escalation.repeat_index = index - 1, 0
                    escalation.due_at, escalation.version = later, escalation.version + 1
                    log_event(session, escalation, "deferred", now, step=index, until=later.isoformat())
                    return []
                log_event(session, escalation, "skipped", now, dedupe_key=f"skip:{index}", step=index)
                continue
            pairs = []
            for recipient in recipients:
                referral = new_referral(escalation, recipient, index, due_at, now)
                session.add(referral)
                pairs.append((referral, recipient))
        session.flush()
        log_event(
            session,
            escalation,
            "step",
            now,
            dedupe_key=f"step:{index}:{repeat}",
            step=index,
            repeat=repeat,
            targets=[r.target_name for r, _ in pairs],
        )
        urgency = step.get("urgency") or escalation.urgency
        attempt_ids: list[int] = []
        for referral, recipient in pairs:
            referral.due_at = due_at
            if recipient is not None:
                attempt_ids += create_attempts(session, escalation, referral, recipient, urgency, now)
        escalation.step_index, escalation.repeat_index = index, repeat
        escalation.due_at, escalation.version = due_at, escalation.version + 1
        session.flush()
        return attempt_ids


def claim_next(session: Session, now: datetime, skip: set[int]) -> Escalation | None:
    """Claim one due chain for this transaction, or return None when nothing is due."""
    due = (
        Escalation.status == EscalationStatus.RUNNING.value,
        Escalation.due_at.is_not(None),
        Escalation.due_at <= now,
    )
    if session.get_bind().dialect.name == "postgresql":
        return session.scalar(
            select(Escalation)
            .where(*due, Escalation.id.not_in(skip or {0}))
            .order_by(Escalation.due_at)
            .limit(1)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        )
    candidates = session.execute(
        select(Escalation.id, Escalation.version).where(*due).order_by(Escalation.due_at).limit(20)
    ).all()
    session.rollback()  # end the read, so the claim below starts a fresh write transaction
    for escalation_id, version in candidates:
        if escalation_id in skip:
            continue
        claimed = session.execute(
            update(Escalation)
            .where(Escalation.id == escalation_id, Escalation.version == version, *due)
            .values(version=Escalation.version + 1)
        )
        if claimed.rowcount == 1:
            return session.get(Escalation, escalation_id, populate_existing=True)
        session.rollback()
    return None


def run_due(session: Session, now: datetime, provider: TelephonyProvider, limit: int = 50) -> int:
    """Run every due step (the scheduler's tick); return how many chains moved."""
    moved = 0
    seen: set[int] = set()
    while moved < limit:
        escalation = claim_next(session, now, seen)
        if escalation is None:
            session.rollback()
            break
        seen.add(escalation.id)
        attempts = advance(session, escalation, now)
        session.commit()
        publish(escalation=escalation)
        dispatch(session, attempts, provider, now)
        moved += 1
    dispatch(session, queued_attempt_ids(session), provider, now)
    return moved


# --- Answers --------------------------------------------------------------------------------------


def locked_referral(session: Session, referral_id: int) -> tuple[Referral, Escalation | None]:
    """Return a referral and its chain, the chain locked for this transaction."""
    referral = session.get(Referral, referral_id)
    if referral is None:
        raise ReferralNotFound(str(referral_id))
    escalation = lock_escalation(session, referral.escalation_id) if referral.escalation_id else None
    session.refresh(referral)
    return referral, escalation


def respond(
    session: Session,
    referral_id: int,
    answer: str,
    *,
    now: datetime,
    via: str,
    actor_id: int | None = None,
    note: str | None = None,
) -> Referral:
    """Take a target's answer: accept or acknowledge (the chain stops for good) or decline (it goes on).

    Raises:
        ReferralNotFound, AlreadyAnswered (with how), ReferralExpired (passed on or the chain ended).
    """
    referral, escalation = locked_referral(session, referral_id)
    if referral.status in (*OWNED_REFERRAL, ReferralStatus.DECLINED.value, ReferralStatus.DONE.value):
        session.rollback()
        raise AlreadyAnswered(referral.status)
    if referral.status == ReferralStatus.EXPIRED or (escalation and escalation.status != EscalationStatus.RUNNING):
        session.rollback()
        raise ReferralExpired(referral.status)
    if answer in ("accept", "acknowledge"):
        referral.status = (ReferralStatus.ACCEPTED if answer == "accept" else ReferralStatus.ACKNOWLEDGED).value
        referral.acknowledged_at = now
        code = session.scalar(select(ResponderReplyCode).where(ResponderReplyCode.referral_id == referral.id))
        if code is not None:
            code.used_at = now
        if escalation is not None:
            escalation.status, escalation.acknowledged_at = EscalationStatus.ACKNOWLEDGED.value, now
            escalation.due_at, escalation.version = None, escalation.version + 1
            log_event(
                session, escalation, referral.status, now, referral=referral, actor_id=actor_id, via=via, note=note
            )
            expire_open(session, escalation, now, "owned by another target")
    else:
        referral.status, referral.closed_at = ReferralStatus.DECLINED.value, now
        if note:
            referral.outcome_note = note
        if escalation is not None:
            log_event(session, escalation, "declined", now, referral=referral, actor_id=actor_id, via=via, note=note)
            if not open_referrals(escalation, referral.step_number):
                # Everyone asked at this step said no: go on at the next tick instead of waiting.
                escalation.due_at, escalation.version = now, escalation.version + 1
    session.commit()
    publish(referral=referral, escalation=escalation)
    return referral


def complete(
    session: Session,
    referral_id: int,
    *,
    outcome: str,
    note: str | None,
    now: datetime,
    via: str,
    actor_id: int | None = None,
) -> Referral:
    """Close an owned referral with its outcome; it returns to the case and the console.

    Raises:
        ReferralNotFound, AlreadyAnswered (already done), NotOwned (not accepted or acknowledged).
    """
    referral, escalation = locked_referral(session, referral_id)
    if referral.status == ReferralStatus.DONE:
        session.rollback()
        raise AlreadyAnswered(referral.status)
    if referral.status not in OWNED_REFERRAL:
        session.rollback()
        raise NotOwned(referral.status)
    referral.status, referral.closed_at = ReferralStatus.DONE.value, now
    referral.outcome, referral.outcome_note = outcome, (note or None)
    if escalation is not None:
        escalation.ended_at = now
        log_event(session, escalation, "done", now, referral=referral, actor_id=actor_id, via=via, outcome=outcome)
    session.commit()
    publish(referral=referral, escalation=escalation)
    return referral


def take_over(session: Session, escalation_id: int, *, actor_id: int, now: datetime) -> Referral:
    """Let a staff member own a running chain from the board (it stops for good).

    Raises:
        ReferralNotFound (no chain), ReferralExpired (not running).
    """
    escalation = lock_escalation(session, escalation_id)
    user = session.get(User, actor_id)
    if escalation is None or user is None:
        raise ReferralNotFound(str(escalation_id))
    if escalation.status != EscalationStatus.RUNNING:
        session.rollback()
        raise ReferralExpired(escalation.status)
    mine = next((r for r in escalation.referrals if r.user_id == actor_id and r.status in OPEN_REFERRAL), None)
    if mine is None:
        mine = new_referral(
            escalation,
            Recipient("user", user.id, user.display_name, user.phone),
            max(escalation.step_index, 0),
            now,
            now,
        )
        mine.step_number = 1000 + mine.step_number  # outside the policy's steps: a take-over
        session.add(mine)
        session.flush()
    session.commit()
    return respond(session, mine.id, "acknowledge", now=now, via="board", actor_id=actor_id)


def cancel(session: Session, escalation_id: int, *, actor_id: int, now: datetime, why: str) -> Escalation:
    """Stop a running chain (a supervisor decides it is no longer needed); logged.

    Raises:
        ReferralNotFound, ReferralExpired (not running).
    """
    escalation = lock_escalation(session, escalation_id)
    if escalation is None:
        raise ReferralNotFound(str(escalation_id))
    if escalation.status != EscalationStatus.RUNNING:
        session.rollback()
        raise ReferralExpired(escalation.status)
    escalation.status, escalation.ended_at, escalation.due_at = EscalationStatus.CANCELLED.value, now, None
    escalation.version += 1
    expire_open(session, escalation, now, "cancelled")
    log_event(session, escalation, "cancelled", now, actor_id=actor_id, why=why)
    audit.record(
        session, "escalation.cancel", actor_id=actor_id, target=f"escalation:{escalation.id}", detail={"why": why}
    )
    session.commit()
    publish(escalation=escalation)
    return escalation


# --- Triggers -------------------------------------------------------------------------------------


def callback_for_call(session: Session, call_id: int, reason: str, now: datetime) -> Escalation | None:
    """Create a callback referral for a missed, abandoned or voicemail call, or a callback request.

    Nothing is created for a call with no known number and no voicemail, or twice for one call.
    The first step runs at the scheduler's next tick, so the Twilio webhook that announced the
    call answers at once.
    """
    call = session.get(Call, call_id)
    if call is None or reason not in CALLBACK_TRIGGERS:
        return None
    if not call.from_number and reason != "voicemail":
        return None
    exists = session.scalar(
        select(Escalation.id).where(Escalation.call_id == call.id, Escalation.reason == Reason.CALLBACK.value)
    )
    if exists is not None:
        return None
    case = session.get(Case, call.case_id) if call.case_id else None
    escalation, _ = start_escalation(
        session,
        trigger=reason,
        reason=Reason.CALLBACK.value,
        urgency=Urgency.NORMAL.value,
        now=now,
        case=case,
        call=call,
        run_first_step=False,
    )
    session.commit()
    publish(escalation=escalation)
    return escalation


def escalate_risk(
    session: Session, case_id: int, risk: str, *, worker_id: int | None, now: datetime, provider: TelephonyProvider
) -> Escalation | None:
    """Alert the supervisor on call at once and start the urgent chain for a high or imminent risk intake."""
    if risk not in (Risk.HIGH.value, Risk.IMMINENT.value):
        return None
    case = session.get(Case, case_id)
    if case is None:
        return None
    running = session.scalar(
        select(Escalation.id).where(
            Escalation.case_id == case.id,
            Escalation.reason == Reason.RISK.value,
            Escalation.status.in_((EscalationStatus.RUNNING.value, EscalationStatus.ACKNOWLEDGED.value)),
        )
    )
    if running is not None:
        return None
    urgency = Urgency.EMERGENCY.value if risk == Risk.IMMINENT.value else Urgency.URGENT.value
    escalation, attempts = start_escalation(
        session,
        trigger="risk",
        reason=Reason.RISK.value,
        urgency=urgency,
        now=now,
        case=case,
        skill="crisis",
        note=None,
        actor_id=worker_id,
    )
    session.commit()
    publish(escalation=escalation)
    dispatch(session, attempts, provider, now)
    return escalation
