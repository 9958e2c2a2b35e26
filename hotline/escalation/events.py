"""Live updates to the console: `referral.updated`, sent after the commit, masked data only."""

from __future__ import annotations

from typing import Any

from hotline import push
from hotline.escalation.models import Escalation, Referral


def referral_payload(referral: Referral | None, escalation: Escalation | None) -> dict[str, Any]:
    """Return what the console may see of a referral: no caller name or number."""
    escalation = escalation or (referral.escalation if referral is not None else None)
    return {
        "referral_id": referral.id if referral is not None else None,
        "escalation_id": escalation.id if escalation is not None else None,
        "case_id": escalation.case_id if escalation is not None else (referral.case_id if referral else None),
        "call_id": escalation.call_id if escalation is not None else None,
        "status": referral.status if referral is not None else None,
        "escalation_status": escalation.status if escalation is not None else None,
        "reason": escalation.reason if escalation is not None else None,
        "target_kind": referral.target_kind if referral is not None else None,
        "target_name": referral.target_name if referral is not None else None,
        "due_at": (escalation.due_at.isoformat() if escalation is not None and escalation.due_at else None),
        "outcome": referral.outcome if referral is not None else None,
    }


def publish(referral: Referral | None = None, escalation: Escalation | None = None) -> None:
    """Tell every console a referral changed (call after the commit; a failed emit is logged, not raised)."""
    push.referral_updated(referral_payload(referral, escalation))
