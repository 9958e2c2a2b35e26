"""The rota's rules, checked live in the editor and enforced when publishing.

Hard errors (severity "error") block publishing unless a manager overrides them
with a reason; warnings never block. Each issue names its rule, its shift and,
where it concerns one person, that person, so the editor can highlight the cell.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from hotline.accounts.models import User
from hotline.clock import hotline_zone
from hotline.directory.models import ExpertVolunteer
from hotline.rota.certificates import QUALIFIED_LEVELS, certificate_problem, shift_days, valid_certificate
from hotline.rota.models import DRAFT, DUTY_WORKER, EXPERT, PUBLISHED, SUPERVISOR, LeaveRequest, Shift, WorkerProfile
from hotline.rota.models.people import APPROVED, PENDING
from hotline.rota.rules import RotaRules, load_rules
from hotline.rota.services import local_range

ERROR = "error"
WARNING = "warning"
RULES = {
    "certificate_missing": ERROR,
    "certificate_expired": ERROR,
    "supervisor_level": ERROR,
    "inactive": ERROR,
    "double_booking": ERROR,
    "max_hours": ERROR,
    "min_rest": ERROR,
    "on_leave": ERROR,
    "leave_pending": WARNING,
    "understaffed": ERROR,
    "no_qualified": ERROR,
    "no_supervisor": ERROR,
    "expert_skill": ERROR,
    "expert_off_day": WARNING,
    "consecutive_days": WARNING,
}
STREAK_LOOKBACK_DAYS = 14
"""The longest run of duty days the rule may allow; the window loads this many days before the range."""


@dataclass
class Entry:
    """One duty in the rota being checked (a stored assignment or a proposed one)."""

    shift_id: int
    duty: str
    user_id: int | None = None
    expert_id: int | None = None
    skill: str | None = None
    assignment_id: int | None = None


@dataclass
class Issue:
    """A broken rule."""

    rule: str
    message: str
    shift_id: int
    user_id: int | None = None
    expert_id: int | None = None
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def severity(self) -> str:
        """Return error or warning."""
        return RULES[self.rule]

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
            "shift_id": self.shift_id,
            "user_id": self.user_id,
            "expert_id": self.expert_id,
            **({"data": self.data} if self.data else {}),
        }


@dataclass
class Context:
    """What the checks read: shifts, people, leave, rules, the zone."""

    shifts: dict[int, Shift]
    users: dict[int, User]
    experts: dict[int, ExpertVolunteer]
    leaves: list[LeaveRequest]
    rules: RotaRules
    zone: ZoneInfo
    limits: dict[int, int] = field(default_factory=dict)
    """Per-person maximum hours per week (part-time workers)."""


def window(date_from: date, date_to: date) -> tuple[date, date]:
    """Return the dates to load: whole local weeks around the range, and a day either side for rest."""
    first = date_from - timedelta(days=date_from.weekday() + 1 + STREAK_LOOKBACK_DAYS)
    return first, date_to + timedelta(days=7 - date_to.weekday())


def load_shifts(session: Session, date_from: date, date_to: date, layer: str) -> list[Shift]:
    """Return the shifts of the window with their assignments (published layer: published shifts only)."""
    start, end = local_range(date_from, date_to)
    query = (
        select(Shift)
        .where(Shift.starts_at >= start, Shift.starts_at < end)
        .options(selectinload(Shift.assignments), selectinload(Shift.draft_assignments))
        .order_by(Shift.starts_at)
    )
    if layer == PUBLISHED:
        query = query.where(Shift.status == PUBLISHED)
    return list(session.scalars(query))


def entries_of(shifts: list[Shift], layer: str) -> list[Entry]:
    """Return the duties of one layer as entries."""
    return [Entry(a.shift_id, a.duty, a.user_id, a.expert_id, a.skill, a.id) for s in shifts for a in s.layer(layer)]


def load_context(session: Session, shifts: list[Shift], entries: list[Entry]) -> Context:
    """Load the people, experts and leave the entries refer to."""
    user_ids = {e.user_id for e in entries if e.user_id is not None}
    expert_ids = {e.expert_id for e in entries if e.expert_id is not None}
    users = {
        u.id: u
        for u in session.scalars(select(User).where(User.id.in_(user_ids)).options(selectinload(User.certifications)))
    }
    experts = {x.id: x for x in session.scalars(select(ExpertVolunteer).where(ExpertVolunteer.id.in_(expert_ids)))}
    leaves: list[LeaveRequest] = []
    if shifts and user_ids:
        leaves = list(
            session.scalars(
                select(LeaveRequest).where(
                    LeaveRequest.user_id.in_(user_ids),
                    LeaveRequest.status.in_([APPROVED, PENDING]),
                    LeaveRequest.starts_at < max(s.ends_at for s in shifts),
                    LeaveRequest.ends_at > min(s.starts_at for s in shifts),
                )
            )
        )
    limits = {
        profile.user_id: profile.max_hours_per_week
        for profile in session.scalars(select(WorkerProfile).where(WorkerProfile.user_id.in_(user_ids)))
        if profile.max_hours_per_week
    }
    return Context({s.id: s for s in shifts}, users, experts, leaves, load_rules(session), hotline_zone(), limits)


def validate(
    session: Session, date_from: date, date_to: date, layer: str = DRAFT, changes: list[dict[str, Any]] | None = None
) -> list[Issue]:
    """Check the rota of date_from..date_to (one layer, with optional proposed changes applied).

    Args:
        changes: [{"op": "add", "shift_id", "duty", "user_id"|"expert_id", "skill"?} |
                  {"op": "remove", "assignment_id"}], applied in memory only.
    Returns:
        The issues of shifts starting in the range, errors first.
    """
    first, last = window(date_from, date_to)
    shifts = load_shifts(session, first, last, layer)
    entries = apply_changes(entries_of(shifts, layer), changes or [])
    start, end = local_range(date_from, date_to)
    report = {s.id for s in shifts if start <= s.starts_at < end}
    return check(load_context(session, shifts, entries), entries, report)


def apply_changes(entries: list[Entry], changes: list[dict[str, Any]]) -> list[Entry]:
    """Return the entries with proposed additions and removals applied."""
    result = list(entries)
    for change in changes:
        if change.get("op") == "remove":
            result = [e for e in result if e.assignment_id != change.get("assignment_id")]
        elif change.get("op") == "add":
            result.append(
                Entry(
                    int(change["shift_id"]),
                    str(change["duty"]),
                    change.get("user_id"),
                    change.get("expert_id"),
                    change.get("skill"),
                )
            )
    return result


def check(context: Context, entries: list[Entry], report: set[int]) -> list[Issue]:
    """Run every rule over the entries; return the issues of the shifts in `report`."""
    issues: list[Issue] = []
    by_shift: dict[int, list[Entry]] = defaultdict(list)
    by_user: dict[int, list[Entry]] = defaultdict(list)
    for entry in entries:
        by_shift[entry.shift_id].append(entry)
        if entry.user_id is not None and entry.duty != EXPERT:
            by_user[entry.user_id].append(entry)
    for shift_id in report:
        issues += check_shift(context, context.shifts[shift_id], by_shift.get(shift_id, []))
    for user_id, duties in by_user.items():
        user = context.users.get(user_id)
        if user is not None:
            issues += check_person(context, user, duties)
    issues = [issue for issue in issues if issue.shift_id in report]
    return sorted(issues, key=lambda i: (i.severity != ERROR, context.shifts[i.shift_id].starts_at, i.rule))


def check_shift(context: Context, shift: Shift, duties: list[Entry]) -> list[Issue]:
    """Check certificates, staffing and expert duty within one shift."""
    issues: list[Issue] = []
    days = shift_days(shift.starts_at, shift.ends_at, context.zone)
    certified_workers = qualified = supervisors = 0
    for entry in duties:
        if entry.duty == EXPERT:
            issues += check_expert(context, shift, entry)
            continue
        user = context.users.get(entry.user_id or -1)
        if user is None:
            continue
        if not user.active:
            issues.append(
                Issue("inactive", _("%(name)s's account is deactivated.", name=user.display_name), shift.id, user.id)
            )
            continue
        problem = certificate_problem(
            user, entry.duty, shift.starts_at, shift.ends_at, context.zone, context.rules.supervisor_min_level
        )
        if problem is not None:
            rule = {"missing": "certificate_missing", "expired": "certificate_expired"}.get(
                problem[0], "supervisor_level"
            )
            issues.append(Issue(rule, problem[1], shift.id, user.id))
            continue
        if entry.duty == DUTY_WORKER:
            certified_workers += 1
            cert = valid_certificate(list(user.certifications), days)
            qualified += bool(cert and cert.level in QUALIFIED_LEVELS)
        elif entry.duty == SUPERVISOR:
            supervisors += 1
    when = shift_name(shift, context.zone)
    if certified_workers < shift.min_duty_workers:
        issues.append(
            Issue(
                "understaffed",
                _(
                    "%(shift)s has %(count)d certified duty workers; it needs %(minimum)d.",
                    shift=when,
                    count=certified_workers,
                    minimum=shift.min_duty_workers,
                ),
                shift.id,
                data={"have": certified_workers, "need": shift.min_duty_workers},
            )
        )
    if qualified < shift.min_qualified:
        issues.append(
            Issue(
                "no_qualified",
                _(
                    "%(shift)s needs at least %(minimum)d intermediate or senior social worker(s).",
                    shift=when,
                    minimum=shift.min_qualified,
                ),
                shift.id,
            )
        )
    if supervisors < shift.min_supervisors:
        issues.append(Issue("no_supervisor", _("%(shift)s has no supervisor on call.", shift=when), shift.id))
    return issues


def check_expert(context: Context, shift: Shift, entry: Entry) -> list[Issue]:
    """Check an expert's duty: the skill must be theirs; duty days are a warning."""
    expert = context.experts.get(entry.expert_id or -1)
    if expert is None:
        return []
    issues = []
    if entry.skill and entry.skill not in (expert.skills or []):
        issues.append(
            Issue(
                "expert_skill",
                _("%(name)s does not have the skill needed for this duty.", name=expert.name),
                shift.id,
                expert_id=expert.id,
            )
        )
    weekday = shift.starts_at.astimezone(context.zone).isoweekday()
    if expert.duty_weekdays and weekday not in expert.duty_weekdays:
        issues.append(
            Issue(
                "expert_off_day",
                _("%(name)s does not usually take duty on this day.", name=expert.name),
                shift.id,
                expert_id=expert.id,
            )
        )
    if not expert.active:
        issues.append(
            Issue("expert_skill", _("%(name)s is no longer active.", name=expert.name), shift.id, expert_id=expert.id)
        )
    return issues


def check_person(context: Context, user: User, duties: list[Entry]) -> list[Issue]:
    """Check one person's shifts together: double booking, rest, weekly hours and leave."""
    issues: list[Issue] = []
    shifts = sorted(
        {context.shifts[e.shift_id] for e in duties if e.shift_id in context.shifts}, key=lambda s: s.starts_at
    )
    name = user.display_name
    min_rest = timedelta(hours=context.rules.min_rest_hours)
    for earlier, later in zip(shifts, shifts[1:], strict=False):
        gap = later.starts_at - earlier.ends_at
        if gap < timedelta(0):
            issues.append(
                Issue(
                    "double_booking",
                    _(
                        "%(name)s is booked on two overlapping shifts (%(other)s).",
                        name=name,
                        other=shift_name(earlier, context.zone),
                    ),
                    later.id,
                    user.id,
                    {"other_shift_id": earlier.id},
                )
            )
        elif timedelta(0) < gap < min_rest:
            issues.append(
                Issue(
                    "min_rest",
                    _(
                        "%(name)s gets only %(hours).1f hours of rest before this shift; the minimum is %(minimum)d.",
                        name=name,
                        hours=gap.total_seconds() / 3600,
                        minimum=context.rules.min_rest_hours,
                    ),
                    later.id,
                    user.id,
                    {"other_shift_id": earlier.id},
                )
            )
    issues += check_hours(context, user, shifts)
    issues += check_streak(context, user, shifts)
    for shift in shifts:
        for leave in context.leaves:
            if leave.user_id == user.id and leave.starts_at < shift.ends_at and shift.starts_at < leave.ends_at:
                rule = "on_leave" if leave.status == APPROVED else "leave_pending"
                message = (
                    _("%(name)s is on leave during this shift.", name=name)
                    if rule == "on_leave"
                    else _("%(name)s has asked for leave during this shift.", name=name)
                )
                issues.append(Issue(rule, message, shift.id, user.id, {"leave_id": leave.id}))
    return issues


def check_streak(context: Context, user: User, shifts: list[Shift]) -> list[Issue]:
    """Warn on the first shift of each day past the allowed run of consecutive duty days (local dates)."""
    limit = context.rules.max_consecutive_days
    first_of_day: dict[date, Shift] = {}
    for shift in shifts:
        first_of_day.setdefault(shift.starts_at.astimezone(context.zone).date(), shift)
    issues: list[Issue] = []
    run = 0
    previous: date | None = None
    for day in sorted(first_of_day):
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        previous = day
        if run > limit:
            issues.append(
                Issue(
                    "consecutive_days",
                    _(
                        "%(name)s would be on duty %(days)d days in a row; a day of rest is due after %(limit)d.",
                        name=user.display_name,
                        days=run,
                        limit=limit,
                    ),
                    first_of_day[day].id,
                    user.id,
                    data={"days": run},
                )
            )
    return issues


def check_hours(context: Context, user: User, shifts: list[Shift]) -> list[Issue]:
    """Flag every shift from the one that takes a person over their weekly hours (local Monday-Sunday)."""
    limit = context.limits.get(user.id, context.rules.max_hours_per_week)
    issues: list[Issue] = []
    totals: dict[date, float] = defaultdict(float)
    for shift in shifts:
        over = False
        for monday, hours in hours_by_week(shift.starts_at, shift.ends_at, context.zone).items():
            totals[monday] += hours
            over = over or totals[monday] > limit
        if over:
            issues.append(
                Issue(
                    "max_hours",
                    _("%(name)s would work more than %(limit)d hours this week.", name=user.display_name, limit=limit),
                    shift.id,
                    user.id,
                )
            )
    return issues


def hours_by_week(starts_at: datetime, ends_at: datetime, zone: ZoneInfo) -> dict[date, float]:
    """Split a shift's hours by the local week (keyed by its Monday) they fall in."""
    result: dict[date, float] = defaultdict(float)
    cursor = starts_at.astimezone(zone)
    end = ends_at.astimezone(zone)
    while cursor < end:
        monday = cursor.date() - timedelta(days=cursor.weekday())
        boundary = datetime.combine(monday + timedelta(days=7), datetime.min.time(), tzinfo=zone)
        step_end = min(end, boundary)
        result[monday] += (step_end - cursor).total_seconds() / 3600
        cursor = step_end
    return result


def shift_name(shift: Shift, zone: ZoneInfo) -> str:
    """Return "2026-03-10 上午班" for messages."""
    return f"{shift.starts_at.astimezone(zone).date().isoformat()} {shift.label}"


def hard_errors(issues: list[Issue]) -> list[Issue]:
    """Return the issues that block publishing."""
    return [issue for issue in issues if issue.severity == ERROR]
