"""Prometheus metrics: webhook latency measured in every process, domain gauges read at scrape time.

Webhook latency is a histogram kept by each process. With several gunicorn
processes, set PROMETHEUS_MULTIPROC_DIR (an empty folder shared by the web
processes of one host, set before start-up): each process writes its samples
there and a scrape of any one process sums them all (prometheus-client's
multiprocess mode). The domain gauges (calls waiting, workers available,
referrals overdue) are counted from the database when scraped, so they are the
same whichever process answers.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import datetime

from flask import Flask, Response, g, request
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from sqlalchemy import func, select
from sqlalchemy.orm import Session

WEBHOOK_PREFIX = "/twilio/"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Referral states in which nobody needs chasing any more.
REFERRAL_SETTLED = ("acknowledged", "accepted", "done", "declined", "expired")

REGISTRY = CollectorRegistry(auto_describe=True)
WEBHOOK_LATENCY = Histogram(
    "hotline_webhook_duration_seconds",
    "Time to answer a Twilio webhook, by route.",
    ["route"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
WEBHOOK_RESPONSES = Counter(
    "hotline_webhook_responses",
    "Twilio webhook responses, by route and status code.",
    ["route", "status"],
    registry=REGISTRY,
)

PROCESS_COLLECTORS = (WEBHOOK_LATENCY, WEBHOOK_RESPONSES)
"""What this process counts itself (in multiprocess mode every process's samples are read from the shared folder)."""


def multiprocess_mode() -> bool:
    """Return whether samples are shared between processes through PROMETHEUS_MULTIPROC_DIR."""
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


def start_timer() -> None:
    """Note when a webhook request started."""
    if request.path.startswith(WEBHOOK_PREFIX):
        g.ops_webhook_started = time.perf_counter()


def observe(response: Response) -> Response:
    """Record a webhook's duration under its route pattern (unknown paths share one label)."""
    started = g.pop("ops_webhook_started", None)
    if started is not None:
        route = request.url_rule.rule if request.url_rule is not None else "unmatched"
        WEBHOOK_LATENCY.labels(route=route).observe(time.perf_counter() - started)
        WEBHOOK_RESPONSES.labels(route=route, status=str(response.status_code)).inc()
    return response


def count_calls_waiting(session: Session) -> int:
    """Count calls waiting in the queue."""
    from hotline.telephony.models import Call

    return session.scalar(select(func.count()).select_from(Call).where(Call.status == "queued")) or 0


def count_workers_available(session: Session) -> int:
    """Count workers whose console says available; 0 while no presence table exists."""
    from hotline.extensions import db

    table = db.metadata.tables.get("worker_presence")
    if table is None:
        return 0
    return session.scalar(select(func.count()).select_from(table).where(table.c.state == "available")) or 0


def count_referrals_overdue(session: Session, now: datetime) -> int:
    """Count referrals past their deadline that nobody has settled."""
    from hotline.escalation.models import Referral

    query = (
        select(func.count())
        .select_from(Referral)
        .where(Referral.due_at.is_not(None), Referral.due_at < now, Referral.status.not_in(REFERRAL_SETTLED))
    )
    return session.scalar(query) or 0


def domain_gauges(session: Session, now: datetime) -> list[Metric]:
    """Read the domain figures; on a database failure report hotline_database_up 0 and nothing else."""
    up = GaugeMetricFamily("hotline_database_up", "Whether the last scrape could read the database.")
    try:
        figures = {
            "hotline_calls_waiting": ("Calls waiting in the queue.", count_calls_waiting(session)),
            "hotline_workers_available": ("Workers available for a call.", count_workers_available(session)),
            "hotline_referrals_overdue": (
                "Referrals past their deadline, not yet settled.",
                count_referrals_overdue(session, now),
            ),
        }
    except Exception:  # noqa: BLE001  (a scrape must still answer, saying the database is down)
        session.rollback()
        up.add_metric([], 0)
        return [up]
    up.add_metric([], 1)
    families: list[Metric] = [up]
    for name, (documentation, value) in figures.items():
        families.append(GaugeMetricFamily(name, documentation, value=value))
    return families


class FixedCollector:
    """Hand prometheus-client metric families computed beforehand."""

    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> Iterator[Metric]:
        """Yield the families."""
        yield from self.families


def exposition(session: Session, now: datetime) -> tuple[bytes, str]:
    """Return the metrics page in Prometheus text format and its content type."""
    registry = CollectorRegistry()
    if multiprocess_mode():
        multiprocess.MultiProcessCollector(registry)
    else:
        for collector in PROCESS_COLLECTORS:
            registry.register(collector)
    registry.register(FixedCollector(domain_gauges(session, now)))
    return generate_latest(registry), CONTENT_TYPE_LATEST


def mark_process_dead(pid: int) -> None:
    """Tell multiprocess mode a worker is gone (gunicorn's child_exit hook)."""
    if multiprocess_mode():
        multiprocess.mark_process_dead(pid)


def init_app(app: Flask) -> None:
    """Time every webhook request."""
    app.before_request(start_timer)
    app.after_request(observe)
