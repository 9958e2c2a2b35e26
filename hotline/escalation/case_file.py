"""What escalation adds to the case file: referrals and callbacks of cases and calls.

The cases package sits below this one and asks through the signals in
`hotline/signals.py` (connected in `escalation.init_app`); each receiver works
inside the asker's session and transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from hotline.escalation.models import Escalation, Referral


def referred_case_ids(sender: Any, user_id: int) -> Select:
    """Return a query of the ids of the cases referred to the user (an expert or staff target)."""
    return select(Referral.case_id).where(
        Referral.target_kind == "user", Referral.target_id == user_id, Referral.case_id.is_not(None)
    )


def referrals_of(
    sender: Any, session: Session, case_ids: list[int], call_ids: list[int] | None = None
) -> list[Referral]:
    """Return the referrals of the cases and of the calls' callbacks, oldest first."""
    callbacks = select(Escalation.id).where(Escalation.call_id.in_(call_ids or []))
    return list(
        session.scalars(
            select(Referral)
            .where(or_(Referral.case_id.in_(case_ids), Referral.escalation_id.in_(callbacks)))
            .order_by(Referral.created_at, Referral.id)
        )
    )


def callbacks_of(sender: Any, session: Session, case_ids: list[int], call_ids: list[int]) -> list[Escalation]:
    """Return the escalations (callbacks) of the cases and calls, oldest first."""
    return list(
        session.scalars(
            select(Escalation)
            .where(or_(Escalation.call_id.in_(call_ids), Escalation.case_id.in_(case_ids)))
            .order_by(Escalation.id)
        )
    )


def move_to_kept_case(sender: Any, session: Session, keep_id: int, duplicate_id: int) -> None:
    """Move the duplicate's referrals to the case kept."""
    for referral in session.scalars(select(Referral).where(Referral.case_id == duplicate_id)):
        referral.case_id = keep_id


def blank_free_texts(sender: Any, session: Session, case_id: int | None = None, call_id: int | None = None) -> None:
    """Blank the notes of a case's referrals and escalations, or of a call's escalations."""
    if case_id is not None:
        for referral in session.scalars(select(Referral).where(Referral.case_id == case_id)):
            referral.note = referral.outcome_note = None
        for escalation in session.scalars(select(Escalation).where(Escalation.case_id == case_id)):
            escalation.note = escalation.override_reason = None
    if call_id is not None:
        for escalation in session.scalars(select(Escalation).where(Escalation.call_id == call_id)):
            escalation.note = None


def connect(signals: Any) -> None:
    """Answer the case file's signals."""
    signals.case_handlers.connect(referred_case_ids, weak=False)
    signals.case_referrals.connect(referrals_of, weak=False)
    signals.case_callbacks.connect(callbacks_of, weak=False)
    signals.cases_merged.connect(move_to_kept_case, weak=False)
    signals.case_erased.connect(blank_free_texts, weak=False)
