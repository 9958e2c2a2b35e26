"""Intake: validate and save what the worker recorded, keep drafts, and show a caller's history.

The console builds its intake form on these functions. A save appends an
IntakeVersion (history is never rewritten), links the call to the case and,
after the commit, sends `hotline.signals.intake_saved`.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from hotline.cases.exceptions import CallNotFound, CaseNotFound, IntakeInvalid
from hotline.cases.models import Case, CaseEvent, IntakeDraft, IntakeVersion
from hotline.cases.vocabulary import AGE_GROUPS, CALL_TYPES, GENDERS, OUTCOMES
from hotline.clock import local
from hotline.directory.models import Area
from hotline.privacy import PHONE_ERROR, entered_phone, mask_phone, phone_lookup_hash, phone_lookup_hashes
from hotline.signals import intake_saved
from hotline.sms import services as sms
from hotline.telephony.models import Call
from hotline.vocabulary import Risk, Service, TargetGroup

SUMMARY_MAX = 4000
# Personal fields never go into the stored intake versions (those are plain JSON).
PERSONAL_FIELDS = ("caller_name", "caller_phone")


@dataclass
class IntakeData:
    """What the worker records about a call; only call_type is needed for a call with no content."""

    call_type: str = "content"
    caller_name: str | None = None
    caller_phone: str | None = None
    consent_callback: bool = False
    consent_share: bool = False
    consent_sms: bool = False
    """The caller agrees to SMS at the callback number (else the number they called from); TD withdraws it."""
    gender: str | None = None
    age_group: str | None = None
    area_id: int | None = None
    target_groups: list[str] = field(default_factory=list)
    services: list[str] = field(default_factory=list)
    risk: str = Risk.NONE.value
    summary: str = ""
    actions_taken: str = ""
    outcome: str | None = None

    @property
    def needs_form(self) -> bool:
        """Return whether this call type needs the intake form (only content calls do)."""
        return self.call_type == "content"

    @classmethod
    def from_mapping(cls, values: dict[str, Any]) -> IntakeData:
        """Build intake data from a JSON object or form values, ignoring unknown keys."""
        known = {name: values[name] for name in cls.__dataclass_fields__ if name in values}
        for name in ("target_groups", "services"):
            if isinstance(known.get(name), str):
                known[name] = [known[name]]
        if known.get("area_id") in ("", None):
            known["area_id"] = None
        return cls(**known)


def validate_intake(data: IntakeData, session: Session | None = None) -> dict[str, str]:
    """Return the intake's errors by field, translated (empty when it may be saved)."""
    errors: dict[str, str] = {}
    if data.call_type not in CALL_TYPES:
        return {"call_type": _("Choose what kind of call it was.")}
    if not data.needs_form:
        return errors
    if data.caller_name and len(data.caller_name) > 100:
        errors["caller_name"] = _("At most 100 characters.")
    if data.caller_phone and entered_phone(data.caller_phone, _region()) is None:
        errors["caller_phone"] = str(PHONE_ERROR)
    if data.gender and data.gender not in GENDERS:
        errors["gender"] = _("Choose from the list.")
    if data.age_group and data.age_group not in AGE_GROUPS:
        errors["age_group"] = _("Choose from the list.")
    if data.area_id is not None:
        if not isinstance(data.area_id, int) and not str(data.area_id).isdigit():
            errors["area_id"] = _("Choose an area from the list.")
        elif session is not None and session.get(Area, int(data.area_id)) is None:
            errors["area_id"] = _("Choose an area from the list.")
    if not data.services:
        errors["services"] = _("Choose at least one service.")
    elif any(value not in Service.__members__.values() for value in data.services):
        errors["services"] = _("Choose from the list.")
    if any(value not in TargetGroup.__members__.values() for value in data.target_groups):
        errors["target_groups"] = _("Choose from the list.")
    if data.risk not in Risk.__members__.values():
        errors["risk"] = _("Choose a risk level.")
    if not (data.summary or "").strip():
        errors["summary"] = _("Write what the call was about.")
    elif len(data.summary) > SUMMARY_MAX:
        errors["summary"] = _("At most %(count)d characters.", count=SUMMARY_MAX)
    if data.outcome not in OUTCOMES:
        errors["outcome"] = _("Choose an outcome.")
    if data.risk in (Risk.HIGH, Risk.IMMINENT) and not (data.actions_taken or "").strip():
        errors["actions_taken"] = _("With high or imminent risk, write what was done to keep the caller safe.")
    if data.risk == Risk.IMMINENT and data.outcome in ("resolved", "not-hotline"):
        errors["outcome"] = _("Imminent risk must be escalated or referred.")
    return errors


def _region() -> str:
    return current_app.config.get("DEFAULT_REGION", "CN")


def next_reference(session: Session, case: Case, now: datetime) -> str:
    """Return the case's reference: HL-<local date>-<id>."""
    return f"HL-{local(now):%Y%m%d}-{case.id:05d}"


def save_intake(
    session: Session,
    *,
    data: IntakeData,
    worker_id: int,
    call_id: int | None = None,
    case_id: int | None = None,
    now: datetime,
) -> Case | None:
    """Create or update the case from an intake, append an IntakeVersion and link the call.

    A call type other than content records its type against the call and opens no case
    (returns None). Sends `intake_saved` after the commit.

    Raises:
        IntakeInvalid: the intake has errors (`errors` by field).
        CallNotFound, CaseNotFound: an id does not exist.
    """
    errors = validate_intake(data, session)
    if errors:
        raise IntakeInvalid(errors)
    call = None
    if call_id is not None:
        call = session.get(Call, call_id)
        if call is None:
            raise CallNotFound(call_id)
    phone = _intake_phone(data, call)
    if data.needs_form and data.consent_sms and phone is None:
        raise IntakeInvalid({"consent_sms": _("There is no number to text: enter the number for a callback.")})
    case = None
    if data.needs_form:
        case = _case_for_intake(session, call, case_id, worker_id, now)
        _apply_intake(case, data, phone, now)
        if data.consent_sms and phone is not None:
            sms.record_consent(session, phone, "intake", now)
    elif case_id is not None:
        case = session.get(Case, case_id)
    _append_version(session, data, case if data.needs_form else None, call, worker_id, now)
    if call is not None and case is not None and data.needs_form:
        call.case_id = case.id
    _discard_draft(session, worker_id, call_id)
    session.commit()
    intake_saved.send(
        current_app._get_current_object(),  # type: ignore[attr-defined]
        case_id=case.id if case is not None and data.needs_form else None,
        call_id=call_id,
        risk=data.risk if data.needs_form else None,
        outcome=data.outcome if data.needs_form else None,
        worker_id=worker_id,
    )
    return case if data.needs_form else None


def _case_for_intake(session: Session, call: Call | None, case_id: int | None, worker_id: int, now: datetime) -> Case:
    """Return the case the intake updates, or a new one."""
    if case_id is None and call is not None and call.case_id is not None:
        case_id = call.case_id
    if case_id is not None:
        case = session.get(Case, case_id)
        if case is None:
            raise CaseNotFound(case_id)
        if case.status == "closed" and case.merged_into_id is None:
            case.status, case.closed_at = "reopened", None
            session.add(CaseEvent(case_id=case.id, kind="reopened", at=now, actor_id=worker_id, data={"by": "intake"}))
        return case
    case = Case(reference=f"new-{uuid.uuid4().hex[:20]}", status="open", created_at=now, assigned_to_id=worker_id)
    session.add(case)
    session.flush()
    case.reference = next_reference(session, case, now)
    session.add(CaseEvent(case_id=case.id, kind="opened", at=now, actor_id=worker_id, data={}))
    return case


def _intake_phone(data: IntakeData, call: Call | None) -> str | None:
    """Return the caller's number (E.164): the one entered for a callback, else the one they called from."""
    phone = entered_phone(data.caller_phone, _region()) if data.caller_phone else None
    if phone is None and call is not None and call.from_number:
        phone = call.from_number
    return phone


def _apply_intake(case: Case, data: IntakeData, phone: str | None, now: datetime) -> None:
    """Copy the intake's fields onto the case, with the caller's number (`_intake_phone`)."""
    case.caller_name = (data.caller_name or "").strip() or None
    if phone is not None:
        case.caller_phone, case.caller_phone_hash = phone, phone_lookup_hash(phone)
    case.consent_callback, case.consent_share = bool(data.consent_callback), bool(data.consent_share)
    case.gender, case.age_group = data.gender or None, data.age_group or None
    case.area_id = int(data.area_id) if data.area_id is not None else None
    case.target_groups, case.services = list(data.target_groups), list(data.services)
    case.risk, case.summary, case.outcome = data.risk, data.summary.strip(), data.outcome
    case.actions_taken = (data.actions_taken or "").strip() or None
    case.updated_at = now


def _append_version(
    session: Session, data: IntakeData, case: Case | None, call: Call | None, worker_id: int, now: datetime
) -> IntakeVersion:
    """Append an intake version; it becomes the call's current one."""
    if call is not None:
        session.execute(update(IntakeVersion).where(IntakeVersion.call_id == call.id).values(current=False))
    number = 1
    if case is not None:
        number = 1 + len(session.scalars(select(IntakeVersion.id).where(IntakeVersion.case_id == case.id)).all())
    stored = {key: value for key, value in asdict(data).items() if key not in PERSONAL_FIELDS}
    stored["caller_named"] = bool(data.caller_name)
    version = IntakeVersion(
        case_id=case.id if case is not None else None,
        call_id=call.id if call is not None else None,
        number=number,
        worker_id=worker_id,
        call_type=data.call_type,
        risk=data.risk if data.needs_form else Risk.NONE.value,
        outcome=data.outcome if data.needs_form else None,
        data=stored,
        current=True,
        created_at=now,
    )
    session.add(version)
    return version


def _draft_row(session: Session, worker_id: int, call_id: int | None) -> IntakeDraft | None:
    condition = IntakeDraft.call_id.is_(None) if call_id is None else IntakeDraft.call_id == call_id
    return session.scalar(select(IntakeDraft).where(IntakeDraft.worker_id == worker_id, condition))


def _discard_draft(session: Session, worker_id: int, call_id: int | None) -> None:
    draft = _draft_row(session, worker_id, call_id)
    if draft is not None:
        session.delete(draft)


def save_intake_draft(
    session: Session, worker_id: int, call_id: int | None, draft_json: dict[str, Any] | str, now: datetime
) -> None:
    """Keep what the worker has typed so far (encrypted), replacing the previous draft for the call."""
    text = draft_json if isinstance(draft_json, str) else json.dumps(draft_json, ensure_ascii=False)
    json.loads(text)  # refuse anything that is not JSON before storing it
    draft = _draft_row(session, worker_id, call_id)
    if draft is None:
        draft = IntakeDraft(worker_id=worker_id, call_id=call_id, data=text, updated_at=now)
        session.add(draft)
    else:
        draft.data, draft.updated_at = text, now
    session.commit()


def load_intake_draft(session: Session, worker_id: int, call_id: int | None) -> dict[str, Any] | None:
    """Return the worker's draft for the call, or None."""
    draft = _draft_row(session, worker_id, call_id)
    if draft is None or draft.data is None:
        return None
    return json.loads(draft.data)


@dataclass
class HistoryCall:
    """An earlier call from the same number, as the console shows it."""

    id: int
    created_at: datetime
    status: str
    outcome: str | None
    service: str | None
    caller: str
    case_id: int | None


@dataclass
class HistoryCase:
    """An earlier case of the same caller."""

    id: int
    reference: str
    status: str
    risk: str
    outcome: str | None
    created_at: datetime
    summary: str
    caller: str


@dataclass
class CallerHistory:
    """A caller's earlier calls and cases, newest first, with the number masked."""

    calls: list[HistoryCall]
    cases: list[HistoryCase]

    @property
    def is_repeat_caller(self) -> bool:
        """Return whether the number has called or been recorded before."""
        return bool(self.calls or self.cases)


def caller_history(
    session: Session, phone_e164: str | None, exclude_call_id: int | None = None, limit: int = 20
) -> CallerHistory:
    """Return earlier calls and cases of a number, found through the keyed hash, masked for display."""
    hashes = phone_lookup_hashes(phone_e164)
    if not hashes:
        return CallerHistory(calls=[], cases=[])
    masked = mask_phone(phone_e164)
    call_query = select(Call).where(Call.from_hash.in_(hashes)).order_by(Call.created_at.desc()).limit(limit)
    if exclude_call_id is not None:
        call_query = call_query.where(Call.id != exclude_call_id)
    calls = list(session.scalars(call_query))
    case_ids = {call.case_id for call in calls if call.case_id is not None}
    case_query = (
        select(Case)
        .where(or_(Case.caller_phone_hash.in_(hashes), Case.id.in_(case_ids)), Case.merged_into_id.is_(None))
        .order_by(Case.created_at.desc())
        .limit(limit)
    )
    cases = list(session.scalars(case_query))
    return CallerHistory(
        calls=[HistoryCall(c.id, c.created_at, c.status, c.outcome, c.service, masked, c.case_id) for c in calls],
        cases=[
            HistoryCase(c.id, c.reference, c.status, c.risk, c.outcome, c.created_at, (c.summary or "")[:200], masked)
            for c in cases
        ],
    )
