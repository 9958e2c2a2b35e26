"""How many duty workers a shift needs, by the Erlang C formula, from the calls of the last weeks.

Erlang C models calls arriving at random (Poisson) to `agents` workers, each call
taking an exponentially distributed handle time, callers waiting in one queue.
With traffic A = arrival rate × average handle time (in Erlangs):

    P(wait) = (A^N / N!) · N/(N-A)  /  (Σ_{k<N} A^k/k!  +  A^N/N! · N/(N-A))
    service level = 1 - P(wait) · exp(-(N - A) · T / AHT)

the share of calls answered within T seconds. The smallest N reaching the target
share (default 80 % within 20 s) is the suggestion.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.clock import hotline_zone

if TYPE_CHECKING:
    from hotline.rota.models import Shift
    from hotline.rota.rules import RotaRules

DEFAULT_HANDLE_SECONDS = 300.0
"""Assumed average handle time when there are no answered calls to measure."""


def erlang_c(agents: int, traffic: float) -> float:
    """Return the probability that a call has to wait (1.0 when the agents cannot keep up)."""
    if traffic <= 0:
        return 0.0
    if agents <= traffic:
        return 1.0
    # Sum A^k/k! iteratively to stay stable for large N.
    term = 1.0
    total = 1.0
    for k in range(1, agents):
        term *= traffic / k
        total += term
    top = term * traffic / agents * agents / (agents - traffic)
    return top / (total + top)


def service_level(agents: int, traffic: float, handle_seconds: float, target_seconds: float) -> float:
    """Return the share of calls answered within target_seconds."""
    if traffic <= 0:
        return 1.0
    if agents <= traffic:
        return 0.0
    return 1.0 - erlang_c(agents, traffic) * math.exp(-(agents - traffic) * target_seconds / handle_seconds)


def agents_needed(
    calls_per_hour: float,
    handle_seconds: float,
    target_share: float = 0.8,
    target_seconds: float = 20,
    limit: int = 500,
) -> int:
    """Return the fewest agents answering target_share of calls within target_seconds (0 with no calls)."""
    if calls_per_hour <= 0:
        return 0
    traffic = calls_per_hour * handle_seconds / 3600
    agents = max(1, math.ceil(traffic))
    while agents < limit and service_level(agents, traffic, handle_seconds, target_seconds) < target_share:
        agents += 1
    return agents


def call_history(session: Session, since: datetime, until: datetime) -> tuple[list[datetime], float]:
    """Return the arrival times of inbound calls in a period and their average handle time in seconds."""
    from hotline.telephony.models import Call

    rows = session.execute(
        select(Call.created_at, Call.answered_at, Call.ended_at).where(
            Call.created_at >= since, Call.created_at < until, Call.direction == "inbound"
        )
    ).all()
    handled = [
        (ended - answered).total_seconds()
        for _, answered, ended in rows
        if answered is not None and ended is not None and ended > answered
    ]
    handle = sum(handled) / len(handled) if handled else DEFAULT_HANDLE_SECONDS
    return [created for created, _, _ in rows], handle


def suggest_for_shifts(
    session: Session, shifts: list[Shift], now: datetime, rules: RotaRules
) -> dict[int, dict[str, Any]]:
    """Return, per shift id, the calls per hour expected and the duty workers Erlang C suggests.

    The expectation for a shift is the average over the last `history_weeks` weeks of the calls
    that arrived on the same weekday between the same local times.
    """
    if not shifts:
        return {}
    weeks = max(1, rules.history_weeks)
    since = now - timedelta(weeks=weeks)
    arrivals, handle = call_history(session, since, now)
    zone = hotline_zone()
    # Calls per (weekday, minute of day), to sum over any shift's window.
    buckets: dict[tuple[int, int], int] = defaultdict(int)
    for created in arrivals:
        local = created.astimezone(zone)
        buckets[(local.isoweekday(), local.hour * 60 + local.minute)] += 1
    result: dict[int, dict[str, Any]] = {}
    if not arrivals:
        # No call in the history window: a suggestion of 0 workers would read as advice; say there is none.
        return {shift.id: {"history": False, "calls_per_hour": None, "needed": None} for shift in shifts}
    for shift in shifts:
        start = shift.starts_at.astimezone(zone)
        hours = max(shift.hours, 1e-9)
        calls = 0
        cursor = start
        end = shift.ends_at.astimezone(zone)
        while cursor < end:
            calls += buckets.get((cursor.isoweekday(), cursor.hour * 60 + cursor.minute), 0)
            cursor += timedelta(minutes=1)
        per_hour = calls / weeks / hours
        result[shift.id] = {
            "history": True,
            "calls_per_hour": round(per_hour, 2),
            "handle_seconds": round(handle),
            "needed": agents_needed(per_hour, handle, rules.target_answer_share, rules.target_answer_seconds),
        }
    return result
