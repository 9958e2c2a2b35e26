"""Three months of demo history: calls, cases, intakes, referrals, callbacks and return calls.

A newcomer's reports, monthly report, charts and staffing suggestion show
something on the first visit. Everything is generated from a seed, relative to
a given "now" (so tests pin it), and marked as demo data: call sids and case
references start with `DEMO-H-`, callback tasks have the source `demo`, summaries
end with "（示例）". Rows go in with bulk inserts (`./scripts/dev` seeds on its
first start); running it again adds nothing.
"""

from __future__ import annotations

import bisect
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from hotline.callbacks.models import CallbackAttempt, CallbackEvent, CallbackTask
from hotline.cases.models import Case, CaseEvent, FollowUp, IntakeVersion, ReturnCall
from hotline.clock import hotline_zone
from hotline.directory.models import Area, ExpertVolunteer, Station
from hotline.escalation.models import Referral
from hotline.privacy import phone_lookup_hash
from hotline.rota.models import Shift, ShiftAssignment
from hotline.telephony.models import Call, CallSatisfaction
from hotline.vocabulary import AreaLevel, Service, TargetGroup

PREFIX = "DEMO-H-"
HISTORY_DAYS = 91
SEED = 20260301
HOTLINE_NUMBER = "+862229241234"

# Calls per hour of the local day on a weekday (a district line: busy mornings and early evenings).
HOURLY = (
    0.3,
    0.2,
    0.15,
    0.1,
    0.1,
    0.2,
    0.4,
    0.9,
    1.8,
    2.6,
    2.8,
    2.5,
    1.8,
    1.9,
    2.3,
    2.2,
    2.0,
    1.9,
    2.1,
    2.2,
    1.9,
    1.4,
    0.9,
    0.5,
)
WEEKEND_FACTOR = 0.7
OUTCOMES = (("answered", 84), ("abandoned", 7), ("voicemail", 4), ("callback-requested", 3), ("missed", 2))
SERVICES = (
    (Service.EMOTIONAL, 22),
    (Service.INFO, 20),
    (Service.NEEDS, 15),
    (Service.RESOURCES, 15),
    (Service.FAMILY, 12),
    (Service.LISTENING, 10),
    (Service.CRISIS, 6),
)
CALL_TYPES = (("content", 78), ("silent", 7), ("hang-up", 5), ("wrong-number", 5), ("prank", 3), ("test", 2))
RISKS = (("none", 70), ("low", 17), ("medium", 9), ("high", 3.5), ("imminent", 0.5))
INTAKE_OUTCOMES = (("resolved", 55), ("callback-needed", 12), ("referred", 13), ("escalate", 8), ("not-hotline", 12))
CONFIRMED = (("solved", 60), ("partly-solved", 20), ("not-solved", 5), ("unreachable", 5), ("referred-on", 10))
SCORES = ((5, 45), (4, 30), (3, 15), (2, 6), (1, 4))
SUMMARIES = {
    Service.EMOTIONAL: ("独居后情绪低落，想找人说说话", "家庭矛盾导致失眠焦虑", "失业后压力大"),
    Service.INFO: ("咨询低保申请条件和材料", "咨询临时救助如何申请", "咨询高龄津贴发放时间"),
    Service.NEEDS: ("老人行动不便，需要助餐服务", "残疾人家庭需要康复资源", "困难家庭冬季取暖困难"),
    Service.RESOURCES: ("需要链接社区志愿者上门探访", "孩子放学后无人照看", "寻找就近的日间照料中心"),
    Service.FAMILY: ("夫妻矛盾，希望调解", "留守儿童与父母沟通困难", "子女不履行赡养义务"),
    Service.LISTENING: ("空巢老人想聊聊天", "丧偶后需要倾诉", "近期搬家不适应"),
    Service.CRISIS: ("来电人表示有轻生念头，已稳定情绪", "家暴求助，已告知报警和庇护资源", "急性焦虑发作"),
}
TARGET_GROUPS = {
    Service.EMOTIONAL: (TargetGroup.ELDERLY_ALONE, TargetGroup.BEREAVED_ONLY_CHILD, TargetGroup.OTHER),
    Service.INFO: (TargetGroup.DIBAO, TargetGroup.ELDERLY_EXTREME_POVERTY, TargetGroup.VETERANS),
    Service.NEEDS: (TargetGroup.DISABILITY, TargetGroup.ELDERLY_EMPTY_NEST, TargetGroup.DIBAO),
    Service.RESOURCES: (TargetGroup.LEFT_BEHIND_CHILDREN, TargetGroup.ELDERLY_ALONE, TargetGroup.MIGRANTS),
    Service.FAMILY: (TargetGroup.CHILDREN_IN_DIFFICULTY, TargetGroup.LEFT_BEHIND_CHILDREN, TargetGroup.OTHER),
    Service.LISTENING: (TargetGroup.ELDERLY_EMPTY_NEST, TargetGroup.ELDERLY_ALONE, TargetGroup.OTHER),
    Service.CRISIS: (TargetGroup.OTHER, TargetGroup.CHILDREN_IN_DIFFICULTY, TargetGroup.DISABILITY),
}
EXPERT_REASONS = {Service.CRISIS: "psychological", Service.FAMILY: "legal", Service.EMOTIONAL: "psychological"}
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
ADDRESS = ("先生", "女士", "阿姨", "大爷", "同学")
FRESH_DAYS = 7
"""Cases younger than this are still open (in progress or referred); older ones are closed."""


def pick(rng: random.Random, table: tuple[tuple[Any, float], ...]) -> Any:
    """Return one value of a (value, weight) table."""
    return rng.choices([value for value, _ in table], [weight for _, weight in table])[0]


def poisson(rng: random.Random, mean: float) -> int:
    """Return a Poisson-distributed count (Knuth's method; the means here are small)."""
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


@dataclass
class Crews:
    """Who was on duty when: shift starts (sorted), ends and duty workers."""

    starts: list[datetime] = field(default_factory=list)
    ends: list[datetime] = field(default_factory=list)
    workers: list[list[int]] = field(default_factory=list)

    def at(self, moment: datetime) -> list[int]:
        """Return the duty workers of the shift running at `moment` (empty when none)."""
        index = bisect.bisect_right(self.starts, moment) - 1
        return self.workers[index] if index >= 0 and moment < self.ends[index] else []


def load_crews(session: Session, since: datetime, until: datetime) -> Crews:
    """Return the published duty workers of the shifts between since and until."""
    rows = session.execute(
        select(Shift.starts_at, Shift.ends_at, ShiftAssignment.user_id)
        .join(ShiftAssignment, ShiftAssignment.shift_id == Shift.id)
        .where(Shift.ends_at > since, Shift.starts_at < until, ShiftAssignment.duty == "duty_worker")
        .order_by(Shift.starts_at)
    ).all()
    crews = Crews()
    for starts, ends, user_id in rows:
        starts, ends = as_aware(starts), as_aware(ends)
        if not crews.starts or crews.starts[-1] != starts:
            crews.starts.append(starts)
            crews.ends.append(ends)
            crews.workers.append([])
        crews.workers[-1].append(user_id)
    return crews


def as_aware(moment: datetime) -> datetime:
    """Return a datetime with its zone (SQLite gives naive UTC back)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


@dataclass
class Plan:
    """The rows to insert, built in memory first."""

    calls: list[dict[str, Any]] = field(default_factory=list)
    cases: list[dict[str, Any]] = field(default_factory=list)
    intakes: list[dict[str, Any]] = field(default_factory=list)
    satisfaction: list[dict[str, Any]] = field(default_factory=list)
    referrals: list[dict[str, Any]] = field(default_factory=list)
    tasks: list[dict[str, Any]] = field(default_factory=list)
    return_calls: list[dict[str, Any]] = field(default_factory=list)


def arrivals(rng: random.Random, start: datetime, now: datetime) -> list[datetime]:
    """Return call arrival times from start to an hour before now, local rates by hour and weekday."""
    zone = hotline_zone()
    result = []
    hour = start.astimezone(zone).replace(minute=0, second=0, microsecond=0)
    end = now - timedelta(hours=1)
    days = max(1.0, (now - start).total_seconds() / 86400)
    while hour < end:
        growth = 0.85 + 0.3 * (hour - start).total_seconds() / 86400 / days  # the line becomes better known
        rate = HOURLY[hour.hour] * growth * (WEEKEND_FACTOR if hour.isoweekday() >= 6 else 1.0)
        for _ in range(poisson(rng, rate)):
            moment = hour + timedelta(seconds=rng.randrange(3600))
            if moment < end:
                result.append(moment)
        hour = (hour + timedelta(hours=1)).astimezone(zone)
    return sorted(result)


def seed_history(
    session: Session, now: datetime, phone: Callable[[int, int], str], days: int = HISTORY_DAYS, seed: int = SEED
) -> dict[str, int]:
    """Add `days` days of demo history before `now`; return how many rows of each kind (nothing when present)."""
    if session.scalar(select(Call.id).where(Call.call_sid.like(f"{PREFIX}%")).limit(1)) is not None:
        return {}
    rng = random.Random(seed)
    start = now - timedelta(days=days)
    crews = load_crews(session, start, now)
    if not crews.starts:
        return {}
    communities = list(session.scalars(select(Area).where(Area.level == AreaLevel.COMMUNITY.value).order_by(Area.id)))
    stations = {
        station.area_id: station
        for station in session.scalars(select(Station).where(Station.tier == "station").order_by(Station.id))
    }
    experts = list(session.scalars(select(ExpertVolunteer).order_by(ExpertVolunteer.id)))
    plan = Plan()
    callers: list[str] = []
    case_of_caller: dict[str, int] = {}
    for number, created in enumerate(arrivals(rng, start, now), start=1):
        plan_call(rng, plan, number, created, now, crews, callers, case_of_caller, phone)
    for case in plan.cases:
        community = rng.choice(communities) if communities else None
        case["area_id"] = community.id if community is not None else None
        case["_street"] = community.parent_id if community is not None else None
    for case in plan.cases:
        plan_referral(rng, plan, case, stations, experts)
    return insert_plan(session, plan, now)


def plan_call(
    rng: random.Random,
    plan: Plan,
    number: int,
    created: datetime,
    now: datetime,
    crews: Crews,
    callers: list[str],
    case_of_caller: dict[str, int],
    phone: Callable[[int, int], str],
) -> None:
    """Add one inbound call and what followed from it to the plan."""
    if callers and rng.random() < 0.25:
        caller: str | None = callers[min(len(callers) - 1, int(rng.paretovariate(1.2)) - 1)]  # a few call often
    elif rng.random() < 0.05:
        caller = None  # number withheld
    else:
        caller = phone(9, 1000 + len(callers))
        callers.insert(0, caller)
    service = pick(rng, SERVICES)
    outcome = pick(rng, OUTCOMES)
    crew = crews.at(created)
    if not crew:
        outcome = "missed"
    queued = created + timedelta(seconds=rng.randint(15, 60))
    sid = f"{PREFIX}{number:06d}"
    call: dict[str, Any] = {
        "call_sid": sid,
        "direction": "inbound",
        "from_number": caller,
        "from_hash": phone_lookup_hash(caller),
        "to_number": HOTLINE_NUMBER,
        "status": "completed",
        "outcome": outcome,
        "service": service.value,
        "priority": 1 if service == Service.CRISIS else 0,
        "queued_at": queued,
        "created_at": created,
        "_case": None,
    }
    plan.calls.append(call)
    if outcome != "answered":
        waited = rng.expovariate(1 / 70) if outcome == "abandoned" else 180 + rng.randint(0, 40)
        call["ended_at"] = queued + timedelta(seconds=waited + (rng.randint(20, 90) if outcome == "voicemail" else 0))
        call["duration_seconds"] = int((call["ended_at"] - created).total_seconds())
        # Every voicemail, request and missed call with a number is called back; some who hung up are too.
        if caller is not None and (outcome != "abandoned" or rng.random() < 0.6):
            plan_task(rng, plan, call, crew or crews.at(call["ended_at"] + timedelta(minutes=10)), now)
        return
    worker = rng.choice(crew)
    answered = queued + timedelta(seconds=min(170.0, rng.expovariate(1 / 22)))
    ended = answered + timedelta(seconds=max(30.0, rng.lognormvariate(5.7, 0.6)))
    call.update(
        answered_at=answered,
        ended_at=ended,
        worker_id=worker,
        duration_seconds=int((ended - created).total_seconds()),
    )
    if rng.random() < 0.45:
        plan.satisfaction.append({"_call": call, "score": pick(rng, SCORES), "created_at": ended})
    call_type = pick(rng, CALL_TYPES)
    intake: dict[str, Any] = {"_call": call, "worker_id": worker, "call_type": call_type, "created_at": ended}
    plan.intakes.append(intake)
    if call_type != "content":
        intake.update(risk="none", outcome=None, data={"call_type": call_type}, number=1)
        return
    risk = "high" if service == Service.CRISIS and rng.random() < 0.4 else pick(rng, RISKS)
    result = pick(rng, INTAKE_OUTCOMES)
    previous = case_of_caller.get(caller) if caller else None
    if previous is not None and rng.random() < 0.7:
        case = plan.cases[previous]
        case["_calls"] += 1
    else:
        case = new_case(rng, plan, service, risk, worker, created, now, caller)
        if caller:
            case_of_caller[caller] = len(plan.cases) - 1
    if result in ("referred", "escalate"):
        case["_refer"] = case["_refer"] or (ended, worker, result == "escalate")
    intake.update(
        risk=risk,
        outcome=result,
        number=case["_calls"],
        data={
            "call_type": "content",
            "services": case["services"],
            "target_groups": case["target_groups"],
            "risk": risk,
            "outcome": result,
            "caller_named": True,
            "summary": case["summary"],
        },
        _case=case,
    )
    call["_case"] = case


def new_case(
    rng: random.Random,
    plan: Plan,
    service: Service,
    risk: str,
    worker: int,
    created: datetime,
    now: datetime,
    caller: str | None,
) -> dict[str, Any]:
    """Add a case opened by this call to the plan and return it."""
    groups = sorted({group.value for group in rng.sample(TARGET_GROUPS[service], rng.randint(1, 2))})
    fresh = now - created < timedelta(days=FRESH_DAYS)
    confirmed = None if fresh else pick(rng, CONFIRMED)
    closed = None if fresh else created + timedelta(hours=rng.randint(2, 140))
    case = {
        "reference": f"{PREFIX}{len(plan.cases) + 1:05d}",
        "status": rng.choice(("open", "in_progress")) if fresh else "closed",
        "caller_name": f"{rng.choice(SURNAMES)}{rng.choice(ADDRESS)}（示例）",
        "caller_phone": caller,
        "caller_phone_hash": phone_lookup_hash(caller),
        "services": [service.value],
        "target_groups": groups,
        "risk": risk,
        "summary": f"{rng.choice(SUMMARIES[service])}（示例）",
        "consent_callback": caller is not None and rng.random() < 0.8,
        "consent_share": rng.random() < 0.7,
        "assigned_to_id": worker,
        "gender": rng.choice(("female", "female", "male", "unknown")),
        "age_group": rng.choice(("18_34", "35_59", "60_79", "60_79", "80_plus", "14_17")),
        "created_at": created,
        "updated_at": closed or created,
        "closed_at": closed,
        "confirmed_outcome": confirmed,
        "confirmed_at": closed,
        "confirmed_by_id": worker if closed else None,
        "_calls": 1,
        "_refer": None,
    }
    plan.cases.append(case)
    return case


def plan_task(rng: random.Random, plan: Plan, call: dict[str, Any], crew: list[int], now: datetime) -> None:
    """Add the callback task of a call the line could not answer, with its attempts, to the plan."""
    opened = call["ended_at"]
    due = opened + timedelta(minutes=120)
    tries = []
    moment = opened + timedelta(minutes=rng.randint(5, 60))
    reached = False
    for attempt in range(3):
        if moment > now - timedelta(minutes=30) or not crew:
            break
        reached = rng.random() < (0.65 if attempt == 0 else 0.5)
        tries.append(
            (moment, rng.choice(crew), "reached" if reached else rng.choice(("no_answer", "no_answer", "busy")))
        )
        if reached:
            break
        moment += timedelta(minutes=(30, 120)[min(attempt, 1)])
    if not tries:
        return
    closed_at = tries[-1][0] + timedelta(minutes=rng.randint(3, 12))
    plan.tasks.append(
        {
            "kind": call["outcome"],
            "status": "closed",
            "phone": call["from_number"],
            "phone_hash": call["from_hash"],
            "_call": call,
            "service": call["service"],
            "risk": "none",
            "due_at": due,
            "owner_id": tries[0][1],
            "owned_at": tries[0][0],
            "attempts_made": len(tries),
            "outcome": "reached" if reached else "unreachable",
            "closed_at": closed_at,
            "source": "demo",
            "created_at": opened,
            "_tries": tries,
        }
    )


def plan_referral(
    rng: random.Random,
    plan: Plan,
    case: dict[str, Any],
    stations: dict[int | None, Station],
    experts: list[ExpertVolunteer],
) -> None:
    """Add the referral of a case whose intake referred or escalated it, and its return call, to the plan."""
    if case["_refer"] is None:
        return
    created, worker, urgent = case["_refer"]
    service = Service(case["services"][0])
    reason = EXPERT_REASONS.get(service) if rng.random() < 0.35 else None
    station = stations.get(case["_street"])
    if reason is None and station is None:
        return
    due = created + timedelta(minutes=30 if urgent else 120)
    fate = rng.random()
    acknowledged = None
    if fate < 0.85:
        acknowledged = created + timedelta(minutes=rng.uniform(3, 28 if urgent else 110))
    elif fate < 0.95:
        acknowledged = due + timedelta(minutes=rng.randint(5, 240))
    closed = case["closed_at"]
    row: dict[str, Any] = {
        "_case": case,
        "step_number": 0,
        "reason": reason or "home_visit",
        "urgency": "urgent" if urgent else "normal",
        "created_by_id": worker,
        "created_at": created,
        "due_at": due,
        "acknowledged_at": acknowledged,
    }
    if reason is not None:
        expert = rng.choice(experts)
        row.update(target_kind="expert", target_id=expert.id, target_name=expert.name, expert_id=expert.id)
    else:
        row.update(target_kind="station", target_id=station.id, target_name=station.name, station_id=station.id)
    if acknowledged is None:
        row.update(status="expired", closed_at=due + timedelta(days=1))
    elif closed is not None:
        row.update(
            status="done",
            closed_at=max(closed, acknowledged),
            outcome=rng.choice(("resolved", "resolved", "followed_up", "referred_on")),
        )
    else:
        row["status"] = "accepted"
        case["status"] = "referred"
    plan.referrals.append(row)
    if closed is not None and acknowledged is not None and case["consent_callback"] and rng.random() < 0.7:
        plan.return_calls.append(
            {
                "_case": case,
                "worker_id": worker,
                "at": max(closed, acknowledged) + timedelta(days=rng.randint(1, 3)),
                "reached": rng.random() < 0.85,
                "problem_solved": rng.choice(("yes", "yes", "partly", "no")),
                "satisfaction": pick(rng, SCORES),
            }
        )


def bulk(session: Session, model: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Insert rows (keys starting with _ left out) with ids given here, in one executemany; return the ids.

    The ids follow the table's largest (RETURNING row by row would cost seconds on SQLite);
    on PostgreSQL the id sequence is moved past them afterwards.
    """
    if not rows:
        return []
    table = model.__table__
    first = (session.scalar(select(func.max(table.c.id))) or 0) + 1
    ids = list(range(first, first + len(rows)))
    # Every row carries the same keys (None where a row has none), so the rows go in as one statement.
    keys = sorted({key for row in rows for key in row if not key.startswith("_")})
    values = [{**{key: row.get(key) for key in keys}, "id": row_id} for row, row_id in zip(rows, ids, strict=True)]
    session.execute(insert(model), values)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT setval(pg_get_serial_sequence(:table, 'id'), :last)"), {"table": table.name, "last": ids[-1]}
        )
    return ids


def insert_plan(session: Session, plan: Plan, now: datetime) -> dict[str, int]:
    """Insert the plan's rows in dependency order; return the counts."""
    for case, case_id in zip(plan.cases, bulk(session, Case, plan.cases), strict=True):
        case["_id"] = case_id
    for call in plan.calls:
        call["case_id"] = call["_case"]["_id"] if call["_case"] else None
    for call, call_id in zip(plan.calls, bulk(session, Call, plan.calls), strict=True):
        call["_id"] = call_id
    for intake in plan.intakes:
        intake.update(call_id=intake["_call"]["_id"], case_id=intake["_case"]["_id"] if intake.get("_case") else None)
    bulk(session, IntakeVersion, plan.intakes)
    bulk(session, CallSatisfaction, [{**row, "call_id": row["_call"]["_id"]} for row in plan.satisfaction])
    for referral in plan.referrals:
        referral["case_id"] = referral["_case"]["_id"]
    bulk(session, Referral, plan.referrals)
    events = [{"case_id": case["_id"], "kind": "opened", "at": case["created_at"], "data": {}} for case in plan.cases]
    events += [
        {
            "case_id": case["_id"],
            "kind": "closed",
            "at": case["closed_at"],
            "actor_id": case["confirmed_by_id"],
            "data": {"outcome": case["confirmed_outcome"]},
        }
        for case in plan.cases
        if case["closed_at"] is not None
    ]
    bulk(session, CaseEvent, events)
    insert_tasks(session, plan)
    follow_ups = [
        {
            "case_id": row["_case"]["_id"],
            "kind": "return_call",
            "due_at": row["at"],
            "assignee_id": row["worker_id"],
            "created_by_id": row["worker_id"],
            "created_at": row["_case"]["closed_at"],
            "status": "done",
            "completed_at": row["at"],
            "outcome": "reached" if row["reached"] else "no-answer",
        }
        for row in plan.return_calls
    ]
    for row, follow_up_id in zip(plan.return_calls, bulk(session, FollowUp, follow_ups), strict=True):
        row.update(case_id=row["_case"]["_id"], follow_up_id=follow_up_id)
        if not row["reached"]:
            row.update(problem_solved=None, satisfaction=None)
    bulk(session, ReturnCall, plan.return_calls)
    session.commit()
    return {
        "calls": len(plan.calls),
        "cases": len(plan.cases),
        "referrals": len(plan.referrals),
        "callbacks": len(plan.tasks),
        "return_calls": len(plan.return_calls),
    }


def insert_tasks(session: Session, plan: Plan) -> None:
    """Insert the callback tasks, their attempts, the outbound calls they made and their logs."""
    for task in plan.tasks:
        task["call_id"] = task["_call"]["_id"]
    attempts, outbound, events = [], [], []
    for task, task_id in zip(plan.tasks, bulk(session, CallbackTask, plan.tasks), strict=True):
        events.append({"task_id": task_id, "kind": "opened", "at": task["created_at"], "data": {}})
        for index, (moment, worker, outcome) in enumerate(task["_tries"], start=1):
            sid = f"{PREFIX}CB{task_id:05d}-{index}"
            ended = moment + timedelta(seconds=240 if outcome == "reached" else 35)
            attempts.append(
                {
                    "task_id": task_id,
                    "worker_id": worker,
                    "started_at": moment,
                    "call_sid": sid,
                    "dial_status": {"reached": "completed", "no_answer": "no-answer", "busy": "busy"}[outcome],
                    "outcome": outcome,
                    "ended_at": ended,
                }
            )
            outbound.append(
                {
                    "call_sid": sid,
                    "direction": "outbound",
                    "from_number": task["phone"],
                    "from_hash": task["phone_hash"],
                    "to_number": HOTLINE_NUMBER,
                    "status": "completed",
                    "outcome": "answered" if outcome == "reached" else outcome.replace("_", "-"),
                    "worker_id": worker,
                    "answered_at": moment + timedelta(seconds=15) if outcome == "reached" else None,
                    "ended_at": ended,
                    "created_at": moment,
                }
            )
        events.append(
            {"task_id": task_id, "kind": "closed", "at": task["closed_at"], "data": {"outcome": task["outcome"]}}
        )
    bulk(session, CallbackAttempt, attempts)
    bulk(session, Call, outbound)
    bulk(session, CallbackEvent, events)
