"""The console's side of the intake: form values to IntakeData, drafts, the one-click call types."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.cases import services as cases
from hotline.console.forms import CRISIS_CHECKLIST
from hotline.directory.models import Area
from hotline.sms import services as sms
from hotline.telephony.models import Call

QUICK_TYPES = ("silent", "hang-up", "wrong-number", "prank", "test")
"""Call types recorded with one click and no form."""


def intake_values(form_data: dict[str, Any]) -> dict[str, Any]:
    """Turn the form's values into IntakeData's, folding the crisis checklist into the actions taken."""
    values = dict(form_data)
    ticked = [
        str(CRISIS_CHECKLIST[key]) for key in values.pop("crisis_checklist", None) or [] if key in CRISIS_CHECKLIST
    ]
    if ticked and values.get("risk") in ("high", "imminent"):
        actions = (values.get("actions_taken") or "").strip()
        values["actions_taken"] = "\n".join(filter(None, [actions, "; ".join(ticked)]))
    area = values.get("area_id")
    values["area_id"] = int(area) if str(area or "").isdigit() else None
    values["call_type"] = values.get("call_type") or "content"
    return values


def save_from_form(session: Session, call: Call, worker_id: int, form_data: dict[str, Any], now: datetime) -> Any:
    """Validate and save the intake; return the case.

    Raises:
        IntakeInvalid: the intake has errors, by field.
    """
    data = cases.IntakeData.from_mapping(intake_values(form_data))
    return cases.save_intake(session, data=data, worker_id=worker_id, call_id=call.id, case_id=call.case_id, now=now)


def save_quick_type(session: Session, call: Call, worker_id: int, call_type: str, now: datetime) -> None:
    """Record a call with no content (silent, hung up, wrong number, prank, test) in one click."""
    if call_type not in QUICK_TYPES:
        raise ValueError(call_type)
    data = cases.IntakeData(call_type=call_type)
    cases.save_intake(session, data=data, worker_id=worker_id, call_id=call.id, now=now)


def save_draft(session: Session, call: Call, worker_id: int, values: dict[str, Any], now: datetime) -> None:
    """Keep what the worker has typed so far."""
    cases.save_intake_draft(session, worker_id, call.id, values, now)


def load_draft(session: Session, call: Call, worker_id: int) -> dict[str, Any] | None:
    """Return the worker's draft for the call, if any."""
    return cases.load_intake_draft(session, worker_id, call.id)


def sms_consent_state(session: Session, call: Call) -> str | None:
    """Return what the intake offers about SMS for the call's number: None (no template SMS provider),
    "opted_out" (replied TD: never again), "given" (consented before), or "ask"."""
    if sms.template_provider(session) is None:
        return None
    consent = sms.consent_of(session, call.from_number)
    if consent is not None and consent.opted_out_at is not None:
        return "opted_out"
    return "given" if consent is not None and consent.consented_at is not None else "ask"


def area_options(session: Session) -> list[Area]:
    """Return every district, street/township and community, for the three linked area selects."""
    return list(
        session.scalars(select(Area).where(Area.level.in_(("district", "street", "community"))).order_by(Area.code))
    )


def area_path(session: Session, area_id: Any) -> dict[str, int]:
    """Return the chosen area's district, street and community ids (to preselect the selects)."""
    if not str(area_id or "").isdigit():
        return {}
    area = session.get(Area, int(area_id))
    return {node.level: node.id for node in area.lineage()} if area is not None else {}
