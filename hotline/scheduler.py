"""The scheduler process: every periodic job, declared in one place.

Deadlines live in domain tables (`due_at` + version); the jobs below are short
ticks that claim what is due. Exactly one scheduler runs: `flask --app wsgi
scheduler run` in production; in development (SCHEDULER_IN_WEB) it may run
inside the single web process. Web processes in production never start one.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import click
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask
from flask.cli import AppGroup

from hotline.clock import utcnow

log = logging.getLogger("hotline.scheduler")
HEARTBEAT_KEY = "scheduler.heartbeat"


@dataclass(frozen=True)
class Job:
    """A periodic job: a dotted function path run every `seconds` in an app context (`at_start`: also at once)."""

    name: str
    target: str
    seconds: int
    at_start: bool = False


JOBS: tuple[Job, ...] = (
    Job("heartbeat", "hotline.scheduler:beat", 10),
    Job("telephony-outbox", "hotline.telephony.jobs:retry_outbox", 15),
    Job("routing", "hotline.routing.jobs:tick", 2),
    Job("escalation", "hotline.escalation.jobs:tick", 3),
    Job("workorders", "hotline.workorders.jobs:tick", 5),
    Job("callbacks-overdue", "hotline.callbacks.jobs:tick", 30),
    Job("wallboard-alerts", "hotline.wallboard.jobs:tick", 15),
    Job("sms-outbox", "hotline.sms.jobs:retry_tick", 15),
    Job("followups_due", "hotline.cases.jobs:announce_due_follow_ups", 15),
    Job("retention", "hotline.cases.jobs:apply_retention", 24 * 3600, at_start=True),
    Job("rota-reminders", "hotline.rota.jobs:reminders_tick", 60),
    Job("rota-shift-pushes", "hotline.rota.jobs:shift_push_tick", 20),
    Job("rota-certificates", "hotline.rota.jobs:certificates_tick", 3600),
    Job("rota-calendar", "hotline.rota.jobs:calendar_tick", 900, at_start=True),
    Job("rota-sms", "hotline.rota.jobs:sms_tick", 30),
    Job("rota-autodraft", "hotline.rota.jobs:autodraft_tick", 15),
    Job("knowledge-review", "hotline.knowledge.jobs:review_tick", 24 * 3600, at_start=True),
)


def beat() -> None:
    """Record that the scheduler is alive (read by health checks)."""
    from hotline.extensions import db
    from hotline.settings import Setting

    row = db.session.get(Setting, HEARTBEAT_KEY) or Setting(key=HEARTBEAT_KEY)
    row.value = {"at": utcnow().isoformat()}
    db.session.add(row)
    db.session.commit()


def resolve(target: str) -> Callable[[], Any]:
    """Import `package.module:function`."""
    module_name, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


def run_in_context(app: Flask, job: Job) -> None:
    """Run one job inside an app context; log and swallow its errors so the tick goes on."""
    from hotline.db import immediate_transactions
    from hotline.extensions import db

    with app.app_context(), immediate_transactions():
        try:
            resolve(job.target)()
        except Exception:  # noqa: BLE001  (one failing tick must not stop the scheduler)
            log.exception("scheduled job %s failed", job.name)
            db.session.rollback()
        finally:
            db.session.remove()


def add_jobs(app: Flask, scheduler: BackgroundScheduler | BlockingScheduler) -> None:
    """Add every job with a deliberate misfire grace time and no overlapping runs.

    A job marked `at_start` first runs as the scheduler starts, then every `seconds`: a daily
    job would otherwise first run a day after each restart, and never on a scheduler
    restarted more often than that.
    """
    started = datetime.now(UTC)
    for job in JOBS:
        extra = {"next_run_time": started} if job.at_start else {}
        scheduler.add_job(
            run_in_context,
            "interval",
            args=(app, job),
            seconds=job.seconds,
            id=job.name,
            misfire_grace_time=max(job.seconds, 30),
            coalesce=True,
            max_instances=1,
            **extra,
        )


scheduler_cli = AppGroup("scheduler", help="The single scheduler process.")


@scheduler_cli.command("run")
def run_scheduler() -> None:
    """Run the scheduler in the foreground (one per deployment)."""
    from flask import current_app

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    scheduler = BlockingScheduler(timezone="UTC")
    add_jobs(app, scheduler)
    click.echo(f"scheduler running {len(JOBS)} jobs")
    scheduler.start()


@scheduler_cli.command("tick")
@click.argument("name")
def tick_once(name: str) -> None:
    """Run one job once, now (for operators and tests)."""
    from flask import current_app

    job = next((job for job in JOBS if job.name == name), None)
    if job is None:
        raise click.BadParameter(f"unknown job {name!r}; known: {', '.join(j.name for j in JOBS)}")
    run_in_context(current_app._get_current_object(), job)  # type: ignore[attr-defined]


def start_in_process(app: Flask) -> BackgroundScheduler:
    """Start the scheduler inside this process (development only)."""
    scheduler = BackgroundScheduler(timezone="UTC", daemon=True)
    add_jobs(app, scheduler)
    scheduler.start()
    app.extensions["hotline_scheduler"] = scheduler
    return scheduler


def init_app(app: Flask) -> None:
    """Register the scheduler CLI."""
    app.cli.add_command(scheduler_cli)
