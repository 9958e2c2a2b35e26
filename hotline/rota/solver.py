"""The automatic draft's model: the data it needs, the CP-SAT model, and writing the answer into the draft."""

from __future__ import annotations

import concurrent.futures
import time as wallclock
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from ortools.sat.python import cp_model
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from hotline.accounts.models import User
from hotline.clock import hotline_zone
from hotline.rota.certificates import QUALIFIED_LEVELS, certificate_problem, shift_days, valid_certificate
from hotline.rota.models import (
    DUTY_WORKER,
    PUBLISHED,
    SUPERVISOR,
    DraftAssignment,
    LeaveRequest,
    RotaPreference,
    Shift,
    WorkerProfile,
)
from hotline.rota.models.calendar import HOLIDAY, WEEKEND
from hotline.rota.models.people import APPROVED
from hotline.rota.rules import load_rules
from hotline.rota.services import local_range
from hotline.rota.validation import hours_by_week, shift_name, window
from hotline.vocabulary import Role
from hotline.workdays import services as calendar

DUTIES = (DUTY_WORKER, SUPERVISOR)
FAIRNESS_WEIGHT = 100
WISH_WEIGHT = 10


@dataclass
class Slot:
    """A shift to fill."""

    shift: Shift
    name: str
    weight: float
    weeks: dict[date, float]
    """Hours per local week (Monday) the shift falls in."""


@dataclass
class Person:
    """Someone who may be given duties."""

    user: User
    limit: float
    """Maximum hours per week."""
    own_limit: bool
    fixed: list[Shift] = field(default_factory=list)
    """Shifts they already work that the draft keeps (published, or outside the period)."""
    wishes: list[RotaPreference] = field(default_factory=list)


@dataclass
class Problem:
    """Everything the model needs."""

    slots: list[Slot]
    people: list[Person]
    eligible: dict[tuple[int, int, str], bool]
    """(person index, slot index, duty) -> may take it."""
    qualified: set[tuple[int, int]]
    min_rest_hours: int
    impossible: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class SolveResult:
    """done with the chosen duties, or infeasible with the reasons."""

    status: str
    chosen: list[tuple[int, int, str]] = field(default_factory=list)
    explanation: list[dict[str, Any]] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)


def build_problem(session: Session, date_from: date, date_to: date, now: datetime) -> Problem:
    """Load the unpublished shifts of the period, the people, leave, wishes and the duties to keep."""
    rules = load_rules(session)
    zone = hotline_zone()
    first, last = window(date_from, date_to)
    start, end = local_range(first, last)
    period_start, period_end = local_range(date_from, date_to)
    shifts = list(
        session.scalars(
            select(Shift)
            .where(Shift.starts_at >= start, Shift.starts_at < end)
            .options(selectinload(Shift.draft_assignments))
            .order_by(Shift.starts_at)
        )
    )
    kinds = calendar.days(session, first, last)
    weights = {"working": 1.0, WEEKEND: rules.weekend_weight, HOLIDAY: rules.holiday_weight}
    targets = [
        s for s in shifts if period_start <= s.starts_at < period_end and s.status != PUBLISHED and s.starts_at > now
    ]
    target_ids = {s.id for s in targets}
    slots = [
        Slot(
            s,
            shift_name(s, zone),
            weights.get(kinds[s.starts_at.astimezone(zone).date()].kind, 1.0),
            hours_by_week(s.starts_at, s.ends_at, zone),
        )
        for s in targets
    ]
    users = list(
        session.scalars(
            select(User)
            .where(User.active, User.role.in_([Role.WORKER.value, Role.SUPERVISOR.value]))
            .options(selectinload(User.certifications))
            .order_by(User.id)
        )
    )
    limits = {p.user_id: p.max_hours_per_week for p in session.scalars(select(WorkerProfile)) if p.max_hours_per_week}
    wishes: dict[int, list[RotaPreference]] = defaultdict(list)
    for wish in session.scalars(select(RotaPreference)):
        wishes[wish.user_id].append(wish)
    people = [
        Person(u, limits.get(u.id, rules.max_hours_per_week), u.id in limits, wishes=wishes.get(u.id, []))
        for u in users
    ]
    index = {person.user.id: i for i, person in enumerate(people)}
    for shift in shifts:
        if shift.id in target_ids:
            continue
        for duty in shift.draft_assignments:
            if duty.user_id in index and duty.duty in DUTIES:
                people[index[duty.user_id]].fixed.append(shift)
    leaves = list(
        session.scalars(
            select(LeaveRequest).where(
                LeaveRequest.status == APPROVED, LeaveRequest.starts_at < end, LeaveRequest.ends_at > start
            )
        )
    )
    eligible: dict[tuple[int, int, str], bool] = {}
    qualified: set[tuple[int, int]] = set()
    for p, person in enumerate(people):
        for s, slot in enumerate(slots):
            shift = slot.shift
            if any(
                v.user_id == person.user.id and v.starts_at < shift.ends_at and shift.starts_at < v.ends_at
                for v in leaves
            ):
                continue
            if any(f.starts_at < shift.ends_at and shift.starts_at < f.ends_at for f in person.fixed):
                continue
            for duty in DUTIES:
                if (
                    certificate_problem(
                        person.user, duty, shift.starts_at, shift.ends_at, zone, rules.supervisor_min_level
                    )
                    is None
                ):
                    eligible[(p, s, duty)] = True
            cert = valid_certificate(list(person.user.certifications), shift_days(shift.starts_at, shift.ends_at, zone))
            if cert is not None and cert.level in QUALIFIED_LEVELS:
                qualified.add((p, s))
    problem = Problem(slots, people, eligible, qualified, rules.min_rest_hours)
    problem.impossible = precheck(problem)
    return problem


def precheck(problem: Problem) -> list[dict[str, Any]]:
    """Return the shifts that cannot be staffed whatever else happens (too few eligible people)."""
    reasons = []
    for s, slot in enumerate(problem.slots):
        shift = slot.shift
        workers = [p for p in range(len(problem.people)) if problem.eligible.get((p, s, DUTY_WORKER))]
        qualified = [p for p in workers if (p, s) in problem.qualified]
        supervisors = [p for p in range(len(problem.people)) if problem.eligible.get((p, s, SUPERVISOR))]
        checks = (
            ("staffing_candidates", shift.min_duty_workers, len(workers)),
            ("qualified_candidates", shift.min_qualified, len(qualified)),
            ("supervisor_candidates", shift.min_supervisors, len(supervisors)),
        )
        short = [(rule, need, have) for rule, need, have in checks if have < need]
        everyone = len(set(workers) | set(supervisors))
        if not short and everyone < shift.min_duty_workers + shift.min_supervisors:
            short = [("people_candidates", shift.min_duty_workers + shift.min_supervisors, everyone)]
        for rule, need, have in short:
            reasons.append(
                {"rule": rule, "params": {"shift": slot.name, "need": need, "have": have}, "shift_id": shift.id}
            )
    return reasons


class Model:
    """The CP-SAT model of a problem, with one assumption literal per rule instance to explain infeasibility."""

    def __init__(self, problem: Problem, explaining: bool = False) -> None:
        self.problem = problem
        self.explaining = explaining
        self.model = cp_model.CpModel()
        self.x: dict[tuple[int, int, str], cp_model.IntVar] = {
            key: self.model.new_bool_var(f"x{key}") for key in problem.eligible
        }
        self.rules: dict[int, dict[str, Any]] = {}
        self.literals: list[cp_model.IntVar] = []
        self._staffing()
        self._people()
        self._objective()

    def _rule(self, rule: str, params: dict[str, Any], **extra: Any) -> cp_model.IntVar:
        literal = self.model.new_bool_var(rule)
        if self.explaining:
            self.rules[literal.index] = {"rule": rule, "params": params, **extra}
            self.literals.append(literal)
        else:
            self.model.add(literal == 1)  # the rule simply holds
        return literal

    def _staffing(self) -> None:
        problem, x = self.problem, self.x
        people = range(len(problem.people))
        for s, slot in enumerate(problem.slots):
            shift, params = slot.shift, {"shift": slot.name}
            workers = [x[(p, s, DUTY_WORKER)] for p in people if (p, s, DUTY_WORKER) in x]
            qualified = [
                x[(p, s, DUTY_WORKER)] for p in people if (p, s, DUTY_WORKER) in x and (p, s) in problem.qualified
            ]
            supervisors = [x[(p, s, SUPERVISOR)] for p in people if (p, s, SUPERVISOR) in x]
            self.model.add(sum(workers) == shift.min_duty_workers).only_enforce_if(
                self._rule("staffing", params, shift_id=shift.id)
            )
            self.model.add(sum(qualified) >= shift.min_qualified).only_enforce_if(
                self._rule("qualified", params, shift_id=shift.id)
            )
            self.model.add(sum(supervisors) == shift.min_supervisors).only_enforce_if(
                self._rule("supervisor", params, shift_id=shift.id)
            )
            for p in people:
                both = [x[(p, s, d)] for d in DUTIES if (p, s, d) in x]
                if len(both) > 1:
                    self.model.add(sum(both) <= 1)

    def _people(self) -> None:
        problem, x = self.problem, self.x
        rest = timedelta(hours=problem.min_rest_hours)
        for p, person in enumerate(problem.people):
            mine = {s: [x[(p, s, d)] for d in DUTIES if (p, s, d) in x] for s in range(len(problem.slots))}
            mine = {s: v for s, v in mine.items() if v}
            name = person.user.display_name
            rest_rule = None
            ordered = sorted(mine, key=lambda s: problem.slots[s].shift.starts_at)
            for i, a in enumerate(ordered):
                for b in ordered[i + 1 :]:
                    first, second = problem.slots[a].shift, problem.slots[b].shift
                    gap = second.starts_at - first.ends_at
                    if gap >= rest:
                        break
                    if gap < timedelta(0):
                        self.model.add(sum(mine[a]) + sum(mine[b]) <= 1)  # nobody is in two places at once
                    elif gap > timedelta(0):
                        rest_rule = rest_rule or self._rule("min_rest", {"name": name, "hours": problem.min_rest_hours})
                        self.model.add(sum(mine[a]) + sum(mine[b]) <= 1).only_enforce_if(rest_rule)
            for s, slot in ((s, problem.slots[s]) for s in mine):
                for fixed in person.fixed:
                    gap = max(slot.shift.starts_at - fixed.ends_at, fixed.starts_at - slot.shift.ends_at)
                    if timedelta(0) < gap < rest:
                        rest_rule = rest_rule or self._rule("min_rest", {"name": name, "hours": problem.min_rest_hours})
                        self.model.add(sum(mine[s]) == 0).only_enforce_if(rest_rule)
            weekly: dict[date, list[tuple[int, Any]]] = defaultdict(list)
            for s in mine:
                for monday, hours in problem.slots[s].weeks.items():
                    weekly[monday] += [(round(hours * 60), var) for var in mine[s]]
            zone = hotline_zone()
            for monday, terms in weekly.items():
                already = sum(hours_by_week(f.starts_at, f.ends_at, zone).get(monday, 0.0) for f in person.fixed)
                budget = round((person.limit - already) * 60)
                literal = self._rule("max_hours", {"name": name, "limit": person.limit, "week": monday.isoformat()})
                self.model.add(sum(minutes * var for minutes, var in terms) <= budget).only_enforce_if(literal)

    def _objective(self) -> None:
        problem, x = self.problem, self.x
        loads = []
        penalties = []
        for p, person in enumerate(problem.people):
            terms = []
            for (pp, s, duty), var in x.items():
                if pp != p:
                    continue
                slot = problem.slots[s]
                terms.append(round(slot.shift.hours * slot.weight * 10) * var)
                if (duty == SUPERVISOR) != (person.user.role == Role.SUPERVISOR.value):
                    penalties.append(var)  # keep supervisors supervising and workers answering
                penalties += [WISH_WEIGHT * -wish.wish * var for wish in person.wishes if wishes_match(wish, slot)]
            if terms and not person.own_limit:
                load = self.model.new_int_var(0, 100_000, f"load{p}")
                self.model.add(load == sum(terms))
                loads.append(load)
        objective = sum(penalties) if penalties else 0
        if loads:
            high = self.model.new_int_var(0, 100_000, "high")
            low = self.model.new_int_var(0, 100_000, "low")
            self.model.add_max_equality(high, loads)
            self.model.add_min_equality(low, loads)
            objective = FAIRNESS_WEIGHT * (high - low) + high + objective
        self.model.minimize(objective)


def wishes_match(wish: RotaPreference, slot: Slot) -> bool:
    """Return whether a worker's wish concerns this shift."""
    local = slot.shift.starts_at.astimezone(hotline_zone())
    return (wish.weekday is None or wish.weekday == local.isoweekday()) and (wish.label in (None, slot.shift.label))


def run_solver(
    model: cp_model.CpModel, time_limit: float, workers: int, progress: Callable[[int], None] | None
) -> tuple[cp_model.CpSolver, Any]:
    """Solve in a worker thread, reporting the share of the time limit used every half second."""
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = float(time_limit)
    solver.parameters.num_workers = workers
    started = wallclock.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(solver.solve, model)
        while True:
            try:
                return solver, future.result(timeout=0.5)
            except concurrent.futures.TimeoutError:
                if progress is not None:
                    progress(int(100 * (wallclock.monotonic() - started) / max(time_limit, 0.1)))


def solve(problem: Problem, time_limit: float, progress: Callable[[int], None] | None = None) -> SolveResult:
    """Solve within the time limit, reporting progress; explain which rules clash when it is impossible."""
    built = Model(problem)
    started = wallclock.monotonic()
    solver, status = run_solver(built.model, time_limit, 2, progress)
    stats = {"status": solver.status_name(status), "wall_time": round(solver.wall_time, 2)}
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        chosen = [key for key, var in built.x.items() if solver.value(var)]
        return SolveResult("done", chosen=chosen, stats={**stats, "objective": solver.objective_value})
    timeout = [{"rule": "timeout", "params": {"seconds": int(time_limit)}}]
    if status != cp_model.INFEASIBLE:
        return SolveResult("infeasible", explanation=timeout, stats=stats)
    # Solve again with every rule behind an assumption: the core names rules that cannot all hold.
    explaining = Model(problem, explaining=True)
    explaining.model.add_assumptions(explaining.literals)
    remaining = max(5.0, time_limit - (wallclock.monotonic() - started))
    solver, status = run_solver(explaining.model, remaining, 1, progress)
    core = solver.sufficient_assumptions_for_infeasibility() if status == cp_model.INFEASIBLE else []
    core = shrink_core(problem, [index for index in core if index in explaining.rules], deadline=started + time_limit)
    reasons = [explaining.rules[index] for index in core]
    return SolveResult("infeasible", explanation=reasons or timeout, stats=stats)


def shrink_core(problem: Problem, core: list[int], deadline: float) -> list[int]:
    """Drop rules from a core while the rest still cannot all hold, so the explanation names only what clashes."""
    kept = list(core)
    for index in list(core):
        if wallclock.monotonic() > deadline or len(kept) <= 1:
            break
        trial = Model(problem, explaining=True)
        trial.model.add_assumptions([lit for lit in trial.literals if lit.index in kept and lit.index != index])
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = max(0.5, min(3.0, deadline - wallclock.monotonic()))
        solver.parameters.num_workers = 1
        if solver.solve(trial.model) == cp_model.INFEASIBLE:
            kept.remove(index)
    return kept


def write_solution(session: Session, problem: Problem, result: SolveResult) -> dict[str, Any]:
    """Replace the draft duty workers and supervisors of the filled shifts (experts stay); return statistics."""
    for slot in problem.slots:
        for duty in [d for d in slot.shift.draft_assignments if d.duty in DUTIES]:
            slot.shift.draft_assignments.remove(duty)
    session.flush()
    load: dict[str, float] = defaultdict(float)
    for p, s, duty in result.chosen:
        person, slot = problem.people[p], problem.slots[s]
        slot.shift.draft_assignments.append(DraftAssignment(duty=duty, user=person.user))
        load[person.user.display_name] += round(slot.shift.hours * slot.weight, 2)
    session.flush()
    return {**result.stats, "shifts": len(problem.slots), "assignments": len(result.chosen), "load": dict(load)}
