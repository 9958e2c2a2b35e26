"""Escalation answers: a target accepts, acknowledges, declines or completes; staff take over or cancel.

An accept or acknowledgement stops the chain for good; a decline lets it go on,
at the next tick when everyone asked at that step has said no. Each answer locks
the chain, re-checks its state and is logged as an event of the chain.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline import audit
from hotline.accounts.models import User
from hotline.escalation.events import publish
from hotline.escalation.exceptions import AlreadyAnswered, NotOwned, ReferralExpired, ReferralNotFound
from hotline.escalation.models import (
    OPEN_REFERRAL,
    OWNED_REFERRAL,
    Escalation,
    EscalationStatus,
    Referral,
    ReferralStatus,
    ResponderReplyCode,
    lock_escalation,
    log_event,
)
from hotline.escalation.recipients import Recipient
from hotline.escalation.steps import expire_open, new_referral, open_referrals
from hotline.escalation.template_sms import text_caller_progress

OUTCOMES = ("resolved", "followed_up", "referred_on", "unreachable", "could_not_help")


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
    if referral.status == ReferralStatus.ACCEPTED:
        text_caller_progress(session, referral, now)
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
