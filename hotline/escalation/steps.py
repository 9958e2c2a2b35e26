"""Run an escalation chain's steps on durable deadlines: claim a due chain, advance it, send after commit.

A step never runs twice: the tick claims a due chain (FOR UPDATE SKIP LOCKED on
PostgreSQL, a conditional UPDATE … WHERE version = :v on SQLite), re-checks its
state, runs the step and bumps the version in the same transaction; each run
also writes a `step:<index>:<repeat>` event that the database refuses twice.
Notifications are stored with the step and sent after the commit; what a dead
process stored and never sent goes out at the start of the next tick.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hotline.escalation.events import publish
from hotline.escalation.models import (
    OPEN_REFERRAL,
    Escalation,
    EscalationStatus,
    Referral,
    ReferralStatus,
    TargetKind,
    log_event,
)
from hotline.escalation.notifications import create_attempts, dispatch, give_up_stale_sends, queued_attempt_ids
from hotline.escalation.policies import setting
from hotline.escalation.recipients import Recipient, next_shift_start, recipient_of, resolve, team_robot
from hotline.telephony.providers import TelephonyProvider


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
    column = {
        "station": "station_id",
        "expert": "expert_id",
        "organisation": "organisation_id",
        "volunteer": "volunteer_id",
        "user": "user_id",
    }
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
        created_at=now,
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
    team = team_robot(setting(session, "escalation.team_webhook"))
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
            pairs = [(r, recipient_of(session, r, team)) for r in open_referrals(escalation, index)]
        else:
            recipients = resolve(session, escalation, step, now, team)
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
    """Run every due step (the scheduler's tick); return how many chains moved.

    Attempts stored but never sent (a process died between a step's commit and its
    send) and retries that came due go out first, before their chain can move on:
    once it has, their referral is over and they would only be cancelled.
    """
    give_up_stale_sends(session, now)
    dispatch(session, queued_attempt_ids(session, now), provider, now)
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
    return moved
