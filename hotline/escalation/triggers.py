"""Start escalation chains: a worker escalating a case, a missed call (a callback), a risky intake.

Starting copies the policy into the chain (so later edits to the policy do not
change it) and runs the first step at once or leaves it to the scheduler's tick.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline import audit
from hotline.accounts.models import User
from hotline.cases.models import Case
from hotline.escalation.events import publish
from hotline.escalation.exceptions import CaseNotFound, NotAllowed, OverrideReasonMissing
from hotline.escalation.models import Escalation, EscalationStatus, Reason, TargetKind, Urgency, log_event
from hotline.escalation.notifications import dispatch
from hotline.escalation.policies import choose_policy, setting
from hotline.escalation.steps import advance
from hotline.telephony.models import Call
from hotline.telephony.providers import TelephonyProvider
from hotline.vocabulary import Risk, Role

CALLBACK_TRIGGERS = ("missed", "abandoned", "voicemail", "callback-requested")


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
