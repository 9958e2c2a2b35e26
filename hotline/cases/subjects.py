"""PIPL subject requests: find everything held about a caller, export it for them, erase what may be erased.

A supervisor serves the request by the caller's number (matched through the keyed
look-up hash). Every step is audited (subject.find, subject.export, subject.erase)
and each request served leaves a SubjectRequest row: who asked, what, when, by whom.
Erasure takes only cases that are closed and past the legal hold (the
`legal_hold_days` retention setting, counted from closing) and the calls that
belong to no other case; it blanks the caller's details and every free text
(summary, actions, notes, follow-up and referral notes), deletes recordings from
the phone network, and keeps the rows for the figures. Open cases and cases
under hold are listed as kept, with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from hotline import audit, signals
from hotline.accounts.models import User
from hotline.cases.exceptions import CaseError
from hotline.cases.models import (
    Case,
    CaseEvent,
    CaseNote,
    FollowUp,
    IntakeDraft,
    IntakeVersion,
    ReturnCall,
    SubjectRequest,
)
from hotline.cases.retention import periods
from hotline.privacy import mask_phone, normalise_phone, phone_lookup_hashes
from hotline.telephony.models import Call, CallEvent, CallSatisfaction
from hotline.telephony.providers import TelephonyError, TelephonyProvider

KINDS = ("access", "export", "erase")


class NotANumber(CaseError):
    """The number given cannot be read as a phone number."""


@dataclass
class SubjectData:
    """Everything held about one caller's number."""

    number: str
    masked: str
    calls: list[Call] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)
    notes: list[CaseNote] = field(default_factory=list)
    intakes: list[IntakeVersion] = field(default_factory=list)
    referrals: list[Any] = field(default_factory=list)
    follow_ups: list[FollowUp] = field(default_factory=list)
    callbacks: list[Any] = field(default_factory=list)
    return_calls: list[ReturnCall] = field(default_factory=list)
    surveys: list[CallSatisfaction] = field(default_factory=list)

    @property
    def recordings(self) -> list[Call]:
        """Return the calls that have a recording."""
        return [call for call in self.calls if call.recording_sid]

    def counts(self) -> dict[str, int]:
        """Return how many of each kind of record were found."""
        return {
            "calls": len(self.calls),
            "cases": len(self.cases),
            "notes": len(self.notes),
            "intakes": len(self.intakes),
            "referrals": len(self.referrals),
            "recordings": len(self.recordings),
            "follow_ups": len(self.follow_ups),
            "callbacks": len(self.callbacks),
            "return_calls": len(self.return_calls),
            "surveys": len(self.surveys),
        }


def parse_number(phone: str, region: str) -> str:
    """Return the number in E.164.

    Raises:
        NotANumber: it cannot be read as a phone number.
    """
    number = normalise_phone(phone, region)
    if number is None:
        raise NotANumber(phone)
    return number


def collect(session: Session, number: str) -> SubjectData:
    """Return every record held about the number: calls, cases, notes, intakes, referrals, recordings, callbacks…"""
    hashes = phone_lookup_hashes(number)
    data = SubjectData(number=number, masked=mask_phone(number))
    data.calls = list(session.scalars(select(Call).where(Call.from_hash.in_(hashes)).order_by(Call.created_at)))
    call_ids = [call.id for call in data.calls]
    by_call = {call.case_id for call in data.calls if call.case_id is not None}
    data.cases = list(
        session.scalars(
            select(Case).where(or_(Case.caller_phone_hash.in_(hashes), Case.id.in_(by_call))).order_by(Case.created_at)
        )
    )
    case_ids = [case.id for case in data.cases]
    data.notes = list(session.scalars(select(CaseNote).where(CaseNote.case_id.in_(case_ids)).order_by(CaseNote.id)))
    data.intakes = list(
        session.scalars(
            select(IntakeVersion)
            .where(or_(IntakeVersion.case_id.in_(case_ids), IntakeVersion.call_id.in_(call_ids)))
            .order_by(IntakeVersion.id)
        )
    )
    data.referrals = sorted(
        signals.gather(signals.case_referrals, session=session, case_ids=case_ids, call_ids=call_ids),
        key=lambda referral: referral.id,
    )
    data.follow_ups = list(
        session.scalars(select(FollowUp).where(FollowUp.case_id.in_(case_ids)).order_by(FollowUp.id))
    )
    data.callbacks = signals.gather(signals.case_callbacks, session=session, case_ids=case_ids, call_ids=call_ids)
    data.return_calls = list(
        session.scalars(select(ReturnCall).where(ReturnCall.case_id.in_(case_ids)).order_by(ReturnCall.id))
    )
    data.surveys = list(
        session.scalars(
            select(CallSatisfaction).where(CallSatisfaction.call_id.in_(call_ids)).order_by(CallSatisfaction.id)
        )
    )
    return data


def serve(
    session: Session,
    kind: str,
    data: SubjectData,
    requested_by: str,
    actor: User,
    now: datetime,
    result: dict[str, Any],
) -> SubjectRequest:
    """Record that a request was served (a SubjectRequest row and an audit entry), and commit."""
    row = SubjectRequest(
        kind=kind,
        subject=data.masked,
        requested_by=requested_by.strip(),
        requested_at=now,
        served_by_id=actor.id,
        served_at=now,
        result=result,
    )
    session.add(row)
    session.flush()
    entry = audit.record(
        session, f"subject.{kind}", actor_id=actor.id, target=f"subject_request:{row.id}", detail=result
    )
    entry.at = now
    session.commit()
    return row


def find(session: Session, number: str, requested_by: str, actor: User, now: datetime) -> SubjectData:
    """Look up everything held about the number for the person who asked (served as an access request)."""
    data = collect(session, number)
    serve(session, "access", data, requested_by, actor, now, {"found": data.counts()})
    return data


def iso(moment: datetime | None) -> str | None:
    """Return an ISO 8601 string, or None."""
    return moment.isoformat() if moment is not None else None


def export_document(data: SubjectData, now: datetime) -> dict[str, Any]:
    """Return what is held about the caller as a JSON document for them (no staff names)."""
    notes_by_case: dict[int, list[dict[str, Any]]] = {}
    for note in data.notes:
        notes_by_case.setdefault(note.case_id, []).append({"at": iso(note.created_at), "text": note.body})
    return {
        "about": data.number,
        "exported_at": iso(now),
        "calls": [
            {
                "at": iso(call.created_at),
                "status": call.status,
                "service": call.service,
                "outcome": call.outcome,
                "duration_seconds": call.duration_seconds,
                "recording": {"id": call.recording_sid, "seconds": call.recording_seconds}
                if call.recording_sid
                else None,
            }
            for call in data.calls
        ],
        "cases": [
            {
                "reference": case.reference,
                "status": case.status,
                "opened_at": iso(case.created_at),
                "closed_at": iso(case.closed_at),
                "caller_name": case.caller_name,
                "caller_number": case.caller_phone,
                "gender": case.gender,
                "age_group": case.age_group,
                "services": case.services,
                "target_groups": case.target_groups,
                "risk": case.risk,
                "summary": case.summary,
                "actions_taken": case.actions_taken,
                "outcome": case.confirmed_outcome or case.outcome,
                "agreed_to_callback": case.consent_callback,
                "agreed_to_sharing": case.consent_share,
                "notes": notes_by_case.get(case.id, []),
            }
            for case in data.cases
        ],
        "referrals": [
            {
                "at": iso(referral.created_at),
                "reason": referral.reason,
                "to": referral.target_name,
                "status": referral.status,
                "request": referral.note,
                "outcome": referral.outcome,
                "outcome_note": referral.outcome_note,
            }
            for referral in data.referrals
        ],
        "follow_ups": [
            {"due_at": iso(f.due_at), "kind": f.kind, "status": f.status, "note": f.note, "outcome": f.outcome}
            for f in data.follow_ups
        ],
        "callbacks": [
            {"at": iso(e.started_at), "reason": e.reason, "status": e.status, "note": e.note} for e in data.callbacks
        ],
        "return_calls": [
            {"at": iso(r.at), "reached": r.reached, "problem_solved": r.problem_solved, "satisfaction": r.satisfaction}
            for r in data.return_calls
        ],
        "surveys": [{"at": iso(s.created_at), "score": s.score} for s in data.surveys],
    }


@dataclass
class Erasure:
    """What an erasure did: cases and calls erased, cases kept and why, recordings the network kept."""

    erased_cases: list[str] = field(default_factory=list)
    kept_cases: dict[str, str] = field(default_factory=dict)
    erased_calls: int = 0
    kept_calls: int = 0
    recordings_deleted: int = 0
    recordings_failed: int = 0
    request: SubjectRequest | None = None

    def result(self) -> dict[str, Any]:
        """Return the erasure as the request's result."""
        return {
            "erased_cases": self.erased_cases,
            "kept_cases": self.kept_cases,
            "erased_calls": self.erased_calls,
            "kept_calls": self.kept_calls,
            "recordings_deleted": self.recordings_deleted,
            "recordings_failed": self.recordings_failed,
        }


def legal_hold(session: Session) -> timedelta:
    """Return how long a closed case is kept before it may be erased on request (the legal_hold_days setting)."""
    return timedelta(days=periods(session)["legal_hold_days"])


def why_kept(case: Case, hold: timedelta, now: datetime) -> str | None:
    """Return why the case may not be erased yet (open, under legal hold), or None."""
    if case.status != "closed" or case.closed_at is None:
        return "open"
    if case.closed_at + hold > now:
        return "legal_hold"
    return None


def erase(
    session: Session, number: str, requested_by: str, actor: User, now: datetime, provider: TelephonyProvider
) -> Erasure:
    """Erase what may be erased about the caller (closed cases past the legal hold, their calls); record it."""
    data = collect(session, number)
    hold = legal_hold(session)
    outcome = Erasure()
    erasable: set[int] = set()
    for case in data.cases:
        reason = why_kept(case, hold, now)
        if reason is None:
            erasable.add(case.id)
            outcome.erased_cases.append(case.reference)
        else:
            outcome.kept_cases[case.reference] = reason
    for case in data.cases:
        if case.id in erasable:
            erase_case(session, case, now)
    for call in data.calls:
        if call.case_id is not None and call.case_id not in erasable:
            outcome.kept_calls += 1
            continue
        if call.recording_sid:
            try:
                provider.delete_recording(call.recording_sid)
            except TelephonyError:
                outcome.recordings_failed += 1
                outcome.kept_calls += 1
                continue
            outcome.recordings_deleted += 1
        erase_call(session, call, now)
        outcome.erased_calls += 1
    outcome.request = serve(session, "erase", data, requested_by, actor, now, outcome.result())
    return outcome


def erase_case(session: Session, case: Case, now: datetime) -> None:
    """Blank a closed case's caller and free texts (and those of what hangs off it); keep the row for the figures."""
    case.caller_name = case.caller_phone = case.caller_phone_hash = None
    case.summary = case.actions_taken = None
    case.caller_anonymised_at = now
    for note in session.scalars(select(CaseNote).where(CaseNote.case_id == case.id)):
        note.body = ""
    for version in session.scalars(select(IntakeVersion).where(IntakeVersion.case_id == case.id)):
        version.data = {}
    for follow_up in session.scalars(select(FollowUp).where(FollowUp.case_id == case.id)):
        follow_up.note = follow_up.outcome_note = None
    for return_call in session.scalars(select(ReturnCall).where(ReturnCall.case_id == case.id)):
        return_call.note = None
    signals.case_erased.send(session=session, case_id=case.id, call_id=None)
    for event in session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)):
        if "note" in (event.data or {}) or "reason" in (event.data or {}):
            event.data = {key: value for key, value in event.data.items() if key not in ("note", "reason")}
    session.add(CaseEvent(case_id=case.id, kind="erased", at=now, data={}))


def erase_call(session: Session, call: Call, now: datetime) -> None:
    """Blank a call's number and recording, its drafts and its callback notes (the recording is deleted already)."""
    call.from_number = call.from_hash = None
    call.recording_sid = call.recording_url = call.recording_seconds = None
    for draft in session.scalars(select(IntakeDraft).where(IntakeDraft.call_id == call.id)):
        session.delete(draft)
    signals.case_erased.send(session=session, case_id=None, call_id=call.id)
    session.add(CallEvent(call_id=call.id, kind="subject.erased", at=now, data={}))


def served_requests(session: Session, limit: int = 100) -> list[SubjectRequest]:
    """Return the requests served, newest first."""
    return list(
        session.scalars(
            select(SubjectRequest).order_by(SubjectRequest.served_at.desc(), SubjectRequest.id.desc()).limit(limit)
        )
    )
