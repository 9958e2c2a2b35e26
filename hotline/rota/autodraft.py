"""Fill the rota automatically: a CP-SAT model of the hard rules, with fairness and wishes as the objective.

A manager's request is a row (`DraftRequest`). It runs off the request thread: in
a background thread started by the web request, or, if that thread never claims
it (the process restarted), in the scheduler's tick. Claiming is a conditional
update, so only one runner ever works on a request.

Hard rules: certificate valid for the duty, exactly the minimum duty workers and
supervisors per shift, the minimum of intermediate or senior workers, no one in
two overlapping shifts, minimum rest, maximum hours per week, approved leave, and
shifts already published kept as they are (they count towards hours and rest).
Soft: spread the weighted load fairly (weekend and holiday hours weigh more),
honour workers' wishes, keep supervisors on supervisor duty.
"""

from __future__ import annotations

import logging
import threading
from datetime import date, datetime
from typing import Any

from flask import Flask
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hotline.rota.models import DraftRequest
from hotline.rota.solver import Problem, SolveResult, build_problem, solve, write_solution

log = logging.getLogger("hotline.rota.autodraft")
STALE_SECONDS = 15
"""A queued request no thread claimed after this long is run by the scheduler."""


def queue_request(session: Session, date_from: date, date_to: date, user_id: int | None, now: datetime) -> DraftRequest:
    """Record a request for an automatic draft; commit."""
    from hotline.rota.rules import load_rules

    draft = DraftRequest(
        requested_by_id=user_id,
        date_from=date_from,
        date_to=date_to,
        created_at=now,
        time_limit_seconds=load_rules(session).autodraft_time_limit_seconds,
    )
    session.add(draft)
    session.commit()
    return draft


def get_request(session: Session, request_id: int) -> DraftRequest | None:
    """Return a draft request."""
    return session.get(DraftRequest, request_id)


def explain(item: dict[str, Any]) -> str:
    """Render one reason a rota is impossible, in the current language."""
    p = item.get("params", {})
    rule = item.get("rule")
    if rule == "people_candidates":
        return _(
            "%(shift)s needs %(need)d people (duty workers and supervisor) but only %(have)d can take it.",
            shift=p["shift"],
            need=p["need"],
            have=p["have"],
        )
    if rule == "staffing_candidates":
        return _(
            "%(shift)s needs %(need)d certified duty workers but only %(have)d are available.",
            shift=p["shift"],
            need=p["need"],
            have=p["have"],
        )
    if rule == "qualified_candidates":
        return _(
            "%(shift)s needs %(need)d intermediate or senior worker(s) but only %(have)d are available.",
            shift=p["shift"],
            need=p["need"],
            have=p["have"],
        )
    if rule == "supervisor_candidates":
        return _(
            "%(shift)s needs %(need)d supervisor(s) on call but only %(have)d are available.",
            shift=p["shift"],
            need=p["need"],
            have=p["have"],
        )
    if rule == "staffing":
        return _("the minimum staffing of %(shift)s", shift=p["shift"])
    if rule == "qualified":
        return _("the intermediate or senior worker needed in %(shift)s", shift=p["shift"])
    if rule == "supervisor":
        return _("the supervisor on call needed in %(shift)s", shift=p["shift"])
    if rule == "max_hours":
        return _(
            "%(name)s's maximum of %(limit)d hours in the week of %(week)s",
            name=p["name"],
            limit=p["limit"],
            week=p["week"],
        )
    if rule == "min_rest":
        return _("%(name)s's minimum rest of %(hours)d hours between shifts", name=p["name"], hours=p["hours"])
    if rule == "timeout":
        return _("No rota was found within the time limit of %(seconds)d seconds.", seconds=p["seconds"])
    if rule == "no_shifts":
        return _(
            "This period has no unpublished shifts (published shifts are kept as they are). "
            "Generate the weeks first, or choose another period."
        )
    return str(rule)


def request_dict(draft: DraftRequest) -> dict[str, Any]:
    """Return a request's state for the editor's progress display."""
    return {
        "id": draft.id,
        "status": draft.status,
        "progress": draft.progress,
        "from": draft.date_from.isoformat(),
        "to": draft.date_to.isoformat(),
        "explanation": [{**item, "message": explain(item)} for item in draft.explanation or []],
        "result": draft.result or {},
        "error": draft.error,
    }


def claim(session: Session, request_id: int, now: datetime) -> bool:
    """Mark a queued request running; return False if another runner got it first."""
    result = session.execute(
        update(DraftRequest)
        .where(DraftRequest.id == request_id, DraftRequest.status == "queued")
        .values(status="running", started_at=now, progress=1)
    )
    session.commit()
    return result.rowcount == 1


def run_request(session: Session, request_id: int, now: datetime) -> DraftRequest | None:
    """Claim a request and solve it, writing the draft or the explanation; commit. None if not claimed."""
    if not claim(session, request_id, now):
        return None
    draft = session.get(DraftRequest, request_id)
    session.refresh(draft)
    try:
        problem: Problem = build_problem(session, draft.date_from, draft.date_to, now)
        if problem.impossible:
            outcome = SolveResult("infeasible", explanation=problem.impossible)
        elif not problem.slots:
            outcome = SolveResult("nothing", explanation=[{"rule": "no_shifts", "params": {}}])
        else:

            def progress(percent: int) -> None:
                draft.progress = max(draft.progress, min(99, percent))
                session.commit()

            outcome = solve(problem, draft.time_limit_seconds, progress)
        if outcome.status == "done":
            draft.result = write_solution(session, problem, outcome)
        draft.status = outcome.status
        draft.explanation = outcome.explanation
    except Exception as exc:
        log.exception("automatic draft %s failed", request_id)
        session.rollback()
        draft = session.get(DraftRequest, request_id)
        draft.status, draft.error = "failed", type(exc).__name__
    draft.progress = 100
    draft.finished_at = now
    session.commit()
    return draft


def run_queued(session: Session, now: datetime) -> int:
    """Run the queued requests no thread has claimed for a while (the scheduler's tick); return how many."""
    from datetime import timedelta

    stale = now - timedelta(seconds=STALE_SECONDS)
    ids = list(
        session.scalars(
            select(DraftRequest.id).where(DraftRequest.status == "queued", DraftRequest.created_at <= stale)
        )
    )
    return sum(run_request(session, request_id, now) is not None for request_id in ids)


def start_in_background(app: Flask, request_id: int) -> None:
    """Solve a request in a daemon thread of this process (unless ROTA_AUTODRAFT_THREAD is off)."""
    if not app.config.get("ROTA_AUTODRAFT_THREAD", True):
        return
    thread = threading.Thread(
        target=_run_in_thread, args=(app, request_id), daemon=True, name=f"autodraft-{request_id}"
    )
    thread.start()


def _run_in_thread(app: Flask, request_id: int) -> None:
    from hotline.clock import utcnow
    from hotline.db import immediate_transactions
    from hotline.extensions import db

    # IMMEDIATE as in a request: the claim reads then writes, and on SQLite a deferred
    # transaction that began reading cannot wait for the write lock ("database is locked").
    with app.app_context(), immediate_transactions():
        try:
            run_request(db.session, request_id, utcnow())
        finally:
            db.session.remove()
