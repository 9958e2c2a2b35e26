"""Data retention: personal data kept no longer than the configured periods, applied by a daily job.

Periods live in the `retention` setting (managers edit them on /manage/retention).
Each rule finds what is past its period; a dry run lists it, a real run applies it
and writes one audit entry. Recordings (voicemails) past `recordings_days` are
deleted from the phone network through the telephony provider, then forgotten
here; one the network would not delete stays listed and is tried again on the
next run. Other packages add their own rules with `register`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.orm import Session

from hotline import audit
from hotline.cases.models import Case, CaseEvent, IntakeDraft
from hotline.settings import Setting
from hotline.telephony.models import Call, CallEvent
from hotline.telephony.providers import TelephonyError, TelephonyProvider, get_provider

log = logging.getLogger("hotline.cases.retention")

SETTING_KEY = "retention"
DEFAULT_PERIODS: dict[str, int] = {
    "recordings_days": 90,
    "case_caller_months": 12,
    "call_number_months": 12,
    "draft_days": 7,
    "legal_hold_days": 365,
}
"""legal_hold_days is no retention rule: it is how long a closed case is held before a subject's erasure request
may remove it (hotline/cases/subjects.py)."""
BATCH = 1000


@dataclass
class Candidate:
    """One record a rule would change or delete."""

    kind: str
    id: int
    since: datetime | None
    what: str


@dataclass
class Rule:
    """A retention rule: find what is past its period; apply the change to those ids."""

    name: str
    period_key: str
    find: Callable[[Session, datetime, int], list[Candidate]]
    apply: Callable[[Session, list[Candidate], datetime, Any], int | None]
    """Apply to the candidates (with the telephony provider); return how many failed, or None for none."""


@dataclass
class RetentionReport:
    """What a run found (dry run) or did (real run), by rule."""

    dry_run: bool
    periods: dict[str, int]
    found: dict[str, list[Candidate]] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Return how many records the run covers."""
        return sum(len(items) for items in self.found.values())


def periods(session: Session) -> dict[str, int]:
    """Return the retention periods: the defaults overlaid with the managers' setting."""
    row = session.get(Setting, SETTING_KEY)
    stored = row.value if row is not None else {}
    return {key: int(stored.get(key, default)) for key, default in DEFAULT_PERIODS.items()}


def save_periods(session: Session, values: dict[str, int], actor_id: int, now: datetime) -> dict[str, int]:
    """Change the retention periods (audited as settings.change)."""
    before = periods(session)
    after = {key: int(values.get(key, before[key])) for key in DEFAULT_PERIODS}
    row = session.get(Setting, SETTING_KEY) or Setting(key=SETTING_KEY)
    row.value, row.updated_by_id, row.updated_at = after, actor_id, now
    session.add(row)
    changed = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
    audit.record(session, "settings.change", actor_id=actor_id, target=f"setting:{SETTING_KEY}", detail=changed)
    session.commit()
    return after


def months_before(now: datetime, months: int) -> datetime:
    """Return the instant `months` months of 30.4375 days before now (a month's average length)."""
    return now - timedelta(days=round(months * 30.4375))


def find_case_callers(session: Session, now: datetime, months: int) -> list[Candidate]:
    """Closed cases closed more than `months` ago that still hold the caller's name or number."""
    cutoff = months_before(now, months)
    rows = session.execute(
        select(Case.id, Case.closed_at)
        .where(
            Case.status == "closed",
            Case.closed_at < cutoff,
            or_(Case.caller_phone_hash.is_not(None), Case.caller_phone.is_not(None), Case.caller_name.is_not(None)),
        )
        .order_by(Case.id)
    )
    return [Candidate("case", row.id, row.closed_at, "caller name and number") for row in rows]


def apply_case_callers(session: Session, items: list[Candidate], now: datetime, provider: Any = None) -> None:
    """Erase the caller's name and number (and look-up hash) from those cases."""
    ids = [item.id for item in items]
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        session.execute(
            update(Case)
            .where(Case.id.in_(chunk))
            .values(caller_name=None, caller_phone=None, caller_phone_hash=None, caller_anonymised_at=now)
        )
        session.add_all(CaseEvent(case_id=case_id, kind="anonymised", at=now, data={}) for case_id in chunk)


def find_call_numbers(session: Session, now: datetime, months: int) -> list[Candidate]:
    """Calls older than `months` that still hold a number, unless their case is still open."""
    cutoff = months_before(now, months)
    open_case = select(Case.id).where(Case.status != "closed")
    rows = session.execute(
        select(Call.id, Call.created_at)
        .where(
            Call.created_at < cutoff,
            or_(Call.from_hash.is_not(None), Call.from_number.is_not(None)),
            or_(Call.case_id.is_(None), and_(Call.case_id.is_not(None), Call.case_id.not_in(open_case))),
        )
        .order_by(Call.id)
    )
    return [Candidate("call", row.id, row.created_at, "caller number") for row in rows]


def apply_call_numbers(session: Session, items: list[Candidate], now: datetime, provider: Any = None) -> None:
    """Erase the caller's number and its look-up hash from those calls."""
    ids = [item.id for item in items]
    for start in range(0, len(ids), BATCH):
        session.execute(
            update(Call).where(Call.id.in_(ids[start : start + BATCH])).values(from_number=None, from_hash=None)
        )


def find_drafts(session: Session, now: datetime, days: int) -> list[Candidate]:
    """Intake drafts untouched for more than `days` days."""
    rows = session.execute(
        select(IntakeDraft.id, IntakeDraft.updated_at).where(IntakeDraft.updated_at < now - timedelta(days=days))
    )
    return [Candidate("intake_draft", row.id, row.updated_at, "intake draft") for row in rows]


def apply_drafts(session: Session, items: list[Candidate], now: datetime, provider: Any = None) -> None:
    """Delete those drafts."""
    ids = [item.id for item in items]
    for start in range(0, len(ids), BATCH):
        session.execute(delete(IntakeDraft).where(IntakeDraft.id.in_(ids[start : start + BATCH])))


def find_recordings(session: Session, now: datetime, days: int) -> list[Candidate]:
    """Calls older than `days` days that still have a recording (a voicemail) held by the phone network."""
    rows = session.execute(
        select(Call.id, Call.created_at)
        .where(Call.created_at < now - timedelta(days=days), Call.recording_sid.is_not(None))
        .order_by(Call.id)
    )
    return [Candidate("call", row.id, row.created_at, "recording") for row in rows]


def apply_recordings(session: Session, items: list[Candidate], now: datetime, provider: Any = None) -> int:
    """Delete each recording from the phone network, then forget it here; return how many the network refused."""
    failed = 0
    for item in items:
        call = session.get(Call, item.id)
        if call is None or call.recording_sid is None:
            continue
        try:
            provider.delete_recording(call.recording_sid)
        except TelephonyError as exc:
            log.warning("recording of call %s not deleted by the phone network: %s", call.id, type(exc).__name__)
            failed += 1
            continue
        session.add(
            CallEvent(call_id=call.id, kind="recording.deleted", at=now, data={"recording_sid": call.recording_sid})
        )
        call.recording_sid = call.recording_url = call.recording_seconds = None
        session.flush()
    return failed


RULES: list[Rule] = [
    Rule("recordings", "recordings_days", find_recordings, apply_recordings),
    Rule("case_callers", "case_caller_months", find_case_callers, apply_case_callers),
    Rule("call_numbers", "call_number_months", find_call_numbers, apply_call_numbers),
    Rule("intake_drafts", "draft_days", find_drafts, apply_drafts),
]


def register(rule: Rule) -> None:
    """Add another package's rule (its period key must be in DEFAULT_PERIODS or given a default here)."""
    DEFAULT_PERIODS.setdefault(rule.period_key, 90)
    if all(existing.name != rule.name for existing in RULES):
        RULES.append(rule)


def run_retention(
    session: Session,
    now: datetime,
    dry_run: bool,
    actor_id: int | None = None,
    provider: TelephonyProvider | None = None,
) -> RetentionReport:
    """Find (dry run) or apply (real run) every retention rule; a real run is audited as retention.run.

    Args:
        session: the database session (committed by a real run).
        now: the time the periods count back from.
        dry_run: list only, change nothing.
        actor_id: who ran it (None for the scheduler).
        provider: the phone network that deletes recordings (default: the app's provider).
    """
    if provider is None and not dry_run:
        provider = get_provider()
    config = periods(session)
    report = RetentionReport(dry_run=dry_run, periods=config)
    for rule in RULES:
        report.found[rule.name] = rule.find(session, now, config[rule.period_key])
    if dry_run:
        session.rollback()
        return report
    for rule in RULES:
        if report.found[rule.name]:
            failed = rule.apply(session, report.found[rule.name], now, provider)
            if failed:
                report.failed[rule.name] = failed
    detail: dict[str, Any] = {name: len(items) for name, items in report.found.items()}
    if report.failed:
        detail["failed"] = report.failed
    audit.record(session, "retention.run", actor_id=actor_id, target="retention", detail=detail)
    session.commit()
    return report
