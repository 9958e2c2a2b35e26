"""Editing the draft: shifts generated from the pattern, per-date changes, assignments added, moved, removed.

Every change lands in the draft layer; nothing workers or the router see changes
until a manager publishes (hotline/rota/publishing.py).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.accounts.models import User
from hotline.clock import hotline_zone
from hotline.directory.models import ExpertVolunteer
from hotline.rota.certificates import certificate_problem
from hotline.rota.exceptions import (
    AlreadyAssigned,
    CertificateProblem,
    InvalidShift,
    NotFound,
    ShiftEnded,
    ShiftPublished,
)
from hotline.rota.models import (
    ANSWERING_DUTIES,
    DRAFT,
    EXPERT,
    PUBLISHED,
    DraftAssignment,
    Shift,
    ShiftPattern,
    ShiftPatternSlot,
)
from hotline.rota.rules import MAX_SHIFT_HOURS, load_rules
from hotline.rota.services import local_range
from hotline.workdays import services as calendar

DEFAULT_SLOTS = ((time(9), time(13), "上午班"), (time(13), time(17), "下午班"))
DUTIES = (*ANSWERING_DUTIES, EXPERT)


def default_pattern(session: Session) -> ShiftPattern:
    """Return the active pattern, creating the standard one (two shifts a day) if there is none."""
    pattern = session.scalar(select(ShiftPattern).where(ShiftPattern.active).order_by(ShiftPattern.id))
    if pattern is None:
        pattern = ShiftPattern(name="标准排班", active=True)
        for start, end, name in DEFAULT_SLOTS:
            pattern.slots.append(ShiftPatternSlot(label=name, start_time=start, end_time=end))
        session.add(pattern)
        session.flush()
    return pattern


def shift_times(day: date, start: time, end: time) -> tuple[datetime, datetime]:
    """Return the UTC start and end of a shift on a local day; an end at or before the start is next day."""
    zone = hotline_zone()
    starts_at = datetime.combine(day, start, tzinfo=zone)
    end_day = day + timedelta(days=1) if end <= start else day
    return starts_at, datetime.combine(end_day, end, tzinfo=zone)


def generate_weeks(session: Session, monday: date, weeks: int, now: datetime) -> list[Shift]:
    """Create the draft shifts of `weeks` weeks from the active pattern and the calendar; commit.

    Days that already have a shift with the same label and start are left as they are.
    Expert volunteers are put on expert duty on their duty weekdays.

    Raises:
        CalendarNotConfirmed: a year in the range needs a manager to confirm its calendar.
    """
    last = monday + timedelta(days=7 * weeks - 1)
    calendar.require_confirmed(session, monday, last)
    kinds = calendar.days(session, monday, last)
    pattern = default_pattern(session)
    start, end = local_range(monday, last)
    existing = {
        (shift.label, shift.starts_at)
        for shift in session.scalars(select(Shift).where(Shift.starts_at >= start, Shift.starts_at < end))
    }
    experts = list(session.scalars(select(ExpertVolunteer).where(ExpertVolunteer.active)))
    made: list[Shift] = []
    for offset in range(7 * weeks):
        day = monday + timedelta(days=offset)
        for slot in pattern.slots:
            if kinds[day].kind not in slot.day_kinds:
                continue
            starts_at, ends_at = shift_times(day, slot.start_time, slot.end_time)
            if (slot.label, starts_at) in existing or ends_at <= now:
                continue
            shift = Shift(
                label=slot.label,
                starts_at=starts_at,
                ends_at=ends_at,
                status=DRAFT,
                min_duty_workers=slot.min_duty_workers,
                min_qualified=slot.min_qualified,
                min_supervisors=slot.min_supervisors,
                pattern_slot_id=slot.id,
            )
            if slot.expert_duty:
                for expert in experts_on_duty(experts, day, slot.start_time, slot.end_time):
                    shift.draft_assignments.append(
                        DraftAssignment(duty=EXPERT, expert=expert, skill=(expert.skills or [None])[0])
                    )
            session.add(shift)
            made.append(shift)
    session.commit()
    return made


def experts_on_duty(experts: list[ExpertVolunteer], day: date, start: time, end: time) -> list[ExpertVolunteer]:
    """Return the experts whose duty weekdays and hours cover part of a shift."""
    chosen = []
    for expert in experts:
        if day.isoweekday() not in (expert.duty_weekdays or []):
            continue
        duty_start, duty_end = expert.duty_start or time.min, expert.duty_end or time.max
        if end <= start or (duty_start < end and start < duty_end):
            chosen.append(expert)
    return chosen


def create_shift(
    session: Session,
    day: date,
    start: time,
    end: time,
    label: str,
    now: datetime,
    min_duty_workers: int = 2,
    min_qualified: int = 1,
    min_supervisors: int = 1,
) -> Shift:
    """Add a one-off draft shift on a date (a per-date change); commit.

    Raises:
        InvalidShift: the shift is longer than a day or already over.
    """
    starts_at, ends_at = shift_times(day, start, end)
    check_times(starts_at, ends_at, now)
    shift = Shift(
        label=label,
        starts_at=starts_at,
        ends_at=ends_at,
        status=DRAFT,
        min_duty_workers=min_duty_workers,
        min_qualified=min_qualified,
        min_supervisors=min_supervisors,
    )
    session.add(shift)
    session.commit()
    return shift


def check_times(starts_at: datetime, ends_at: datetime, now: datetime) -> None:
    """Refuse a shift that ends before it starts, lasts over a day, or is already over."""
    if not starts_at < ends_at <= starts_at + timedelta(hours=MAX_SHIFT_HOURS):
        raise InvalidShift("a shift lasts more than nothing and at most a day")
    if ends_at <= now:
        raise InvalidShift("the shift would already be over")


def update_shift(
    session: Session, shift_id: int, now: datetime, min_duty_workers: int, min_qualified: int, min_supervisors: int
) -> Shift:
    """Change a shift's minimum staffing (a per-date change); commit.

    The minimums belong to the shift, not to the draft layer: the change counts at once,
    in the editor's checks and when publishing, whether the shift is published or not.

    Raises:
        InvalidShift: a minimum is negative, or more intermediate or senior workers than duty workers.
        NotFound, ShiftEnded.
    """
    if min(min_duty_workers, min_qualified, min_supervisors) < 0:
        raise InvalidShift("a minimum is negative")
    if min_qualified > min_duty_workers:
        raise InvalidShift("more intermediate or senior workers than duty workers")
    shift = editable_shift(session, shift_id, now)
    shift.min_duty_workers, shift.min_qualified, shift.min_supervisors = (
        min_duty_workers,
        min_qualified,
        min_supervisors,
    )
    session.commit()
    return shift


def delete_shift(session: Session, shift_id: int, now: datetime) -> None:
    """Delete a shift that was never published; commit.

    Raises:
        ShiftPublished: the shift is in force; remove its people instead.
    """
    shift = editable_shift(session, shift_id, now)
    if shift.status == PUBLISHED:
        raise ShiftPublished(str(shift_id))
    session.delete(shift)
    session.commit()


def editable_shift(session: Session, shift_id: int, now: datetime) -> Shift:
    """Return a shift that has not ended yet.

    Raises:
        NotFound, ShiftEnded.
    """
    shift = session.get(Shift, shift_id)
    if shift is None:
        raise NotFound(f"shift {shift_id}")
    if shift.ends_at <= now:
        raise ShiftEnded(str(shift_id))
    return shift


def add_assignment(
    session: Session,
    shift_id: int,
    duty: str,
    now: datetime,
    user_id: int | None = None,
    expert_id: int | None = None,
    skill: str | None = None,
) -> DraftAssignment:
    """Put a worker or an expert on a shift in the draft; commit.

    Raises:
        NotFound: no such shift or person.
        ShiftEnded: the shift is over.
        CertificateProblem: the worker's certificate does not allow an answering duty (reason given).
        AlreadyAssigned: the person already has a duty in this shift.
    """
    shift = editable_shift(session, shift_id, now)
    if duty not in DUTIES:
        raise NotFound(f"duty {duty}")
    assignment = DraftAssignment(duty=duty, skill=skill or None)
    if duty == EXPERT:
        expert = session.get(ExpertVolunteer, expert_id) if expert_id else None
        if expert is None:
            raise NotFound(f"expert {expert_id}")
        if any(a.expert_id == expert.id for a in shift.layer(DRAFT)):
            raise AlreadyAssigned(expert.name)
        assignment.expert = expert
        assignment.skill = skill or (expert.skills or [None])[0]
    else:
        user = session.get(User, user_id) if user_id else None
        if user is None:
            raise NotFound(f"user {user_id}")
        if any(a.user_id == user.id for a in shift.layer(DRAFT)):
            raise AlreadyAssigned(user.display_name)
        rules = load_rules(session)
        problem = certificate_problem(
            user, duty, shift.starts_at, shift.ends_at, hotline_zone(), rules.supervisor_min_level
        )
        if problem is not None:
            raise CertificateProblem(problem[1], problem[0])
        assignment.user = user
    shift.draft_assignments.append(assignment)
    session.commit()
    return assignment


def remove_assignment(session: Session, assignment_id: int, now: datetime) -> Shift:
    """Take a duty out of the draft; commit; return its shift.

    Raises:
        NotFound: no such draft assignment.
        ShiftEnded: the shift is over.
    """
    assignment = session.get(DraftAssignment, assignment_id)
    if assignment is None:
        raise NotFound(f"assignment {assignment_id}")
    shift = editable_shift(session, assignment.shift_id, now)
    shift.draft_assignments.remove(assignment)
    session.commit()
    return shift


def move_assignment(
    session: Session, assignment_id: int, to_shift_id: int, now: datetime, duty: str | None = None
) -> DraftAssignment:
    """Move a draft duty to another shift (or change its duty); commit.

    Raises:
        NotFound, ShiftEnded, CertificateProblem, AlreadyAssigned, as add_assignment.
    """
    assignment = session.get(DraftAssignment, assignment_id)
    if assignment is None:
        raise NotFound(f"assignment {assignment_id}")
    editable_shift(session, assignment.shift_id, now)
    user_id, expert_id, skill = assignment.user_id, assignment.expert_id, assignment.skill
    new_duty = duty or assignment.duty
    # Take it out first (without committing) so a change of duty in the same shift is not "already assigned".
    assignment.shift.draft_assignments.remove(assignment)
    session.flush()
    try:
        return add_assignment(session, to_shift_id, new_duty, now, user_id, expert_id, skill)
    except Exception:
        session.rollback()  # the duty stays where it was
        raise


def save_slot(
    session: Session,
    label: str,
    start: time,
    end: time,
    day_kinds: list[str],
    min_duty_workers: int,
    min_qualified: int,
    min_supervisors: int,
    expert_duty: bool,
    slot_id: int | None = None,
) -> ShiftPatternSlot:
    """Add a shift to the weekly pattern, or change one; commit. Weeks already generated keep their shifts.

    Raises:
        NotFound: no such slot.
        InvalidShift: the minimums do not add up.
    """
    if min_qualified > min_duty_workers:
        raise InvalidShift("more intermediate or senior workers than duty workers")
    pattern = default_pattern(session)
    if slot_id is None:
        slot = ShiftPatternSlot(pattern=pattern)
        session.add(slot)
    else:
        slot = session.get(ShiftPatternSlot, slot_id)
        if slot is None:
            raise NotFound(f"slot {slot_id}")
    slot.label, slot.start_time, slot.end_time, slot.day_kinds = label.strip(), start, end, list(day_kinds)
    slot.min_duty_workers, slot.min_qualified, slot.min_supervisors = min_duty_workers, min_qualified, min_supervisors
    slot.expert_duty = expert_duty
    session.commit()
    return slot


def delete_slot(session: Session, slot_id: int) -> None:
    """Take a shift out of the weekly pattern; commit. Shifts already generated stay."""
    slot = session.get(ShiftPatternSlot, slot_id)
    if slot is None:
        raise NotFound(f"slot {slot_id}")
    session.delete(slot)
    session.commit()
