"""/metrics: Prometheus text with webhook latency and the domain gauges, for allowed scrapers only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families

from hotline.cases.models import Case
from hotline.escalation.models import Referral
from hotline.ops.metrics import REGISTRY
from hotline.telephony.models import Call

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def samples(response: Any) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Parse a metrics page into {(sample name, labels): value}."""
    parsed = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            parsed[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return parsed


@pytest.fixture
def metrics_settings(app: Flask) -> Any:
    """Let a test change the metrics access settings, restoring them afterwards."""
    saved = {key: app.config.get(key) for key in ("METRICS_TOKEN", "METRICS_ALLOWED_NETWORKS")}
    yield app.config
    app.config.update(saved)


def test_metrics_counts_calls_waiting_and_overdue_referrals(client: Any, db_session: Any) -> None:
    case = Case(reference="C-OPS-1")
    db_session.add_all(
        [
            Call(call_sid="CAops1", status="queued"),
            Call(call_sid="CAops2", status="queued"),
            Call(call_sid="CAops3", status="in-progress"),
            case,
        ]
    )
    db_session.flush()
    db_session.add_all(
        [
            Referral(case_id=case.id, reason="unresolved", status="pending", due_at=NOW - timedelta(minutes=5)),
            Referral(case_id=case.id, reason="unresolved", status="notified", due_at=NOW - timedelta(hours=1)),
            Referral(case_id=case.id, reason="unresolved", status="pending", due_at=NOW + timedelta(minutes=5)),
            Referral(case_id=case.id, reason="unresolved", status="acknowledged", due_at=NOW - timedelta(hours=1)),
        ]
    )
    db_session.commit()
    with time_machine.travel(NOW, tick=False):
        response = client.get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    figures = samples(response)
    assert figures[("hotline_database_up", ())] == 1
    assert figures[("hotline_calls_waiting", ())] == 2
    assert figures[("hotline_referrals_overdue", ())] == 2
    assert figures[("hotline_workers_available", ())] == 0


def test_metrics_counts_workers_available(client: Any, db_session: Any, make_user: Any) -> None:
    from hotline.routing.models import WorkerPresence

    states = ["available", "available", "busy", "offline"]
    for state in states:
        db_session.add(WorkerPresence(user_id=make_user("worker").id, state=state, state_since=NOW))
    db_session.commit()
    assert samples(client.get("/metrics"))[("hotline_workers_available", ())] == 2


def test_webhook_requests_are_timed_by_route(client: Any) -> None:
    def count() -> float:
        value = REGISTRY.get_sample_value("hotline_webhook_duration_seconds_count", {"route": "unmatched"})
        return value or 0.0

    before = count()
    client.post("/twilio/no-such-hook")
    client.get("/healthz")  # not a webhook: not timed
    assert count() == before + 1
    figures = samples(client.get("/metrics"))
    assert figures[("hotline_webhook_duration_seconds_count", (("route", "unmatched"),))] >= 1
    assert figures[("hotline_webhook_responses_total", (("route", "unmatched"), ("status", "404")))] >= 1


def test_metrics_refuses_other_networks_without_a_token(client: Any, metrics_settings: Any) -> None:
    outside = {"REMOTE_ADDR": "203.0.113.9"}
    assert client.get("/metrics", environ_base=outside).status_code == 403
    metrics_settings["METRICS_ALLOWED_NETWORKS"] = "10.0.0.0/8,203.0.113.0/24"
    assert client.get("/metrics", environ_base=outside).status_code == 200


def test_metrics_accepts_the_bearer_token_from_anywhere(client: Any, metrics_settings: Any) -> None:
    outside = {"REMOTE_ADDR": "203.0.113.9"}
    metrics_settings["METRICS_TOKEN"] = "scrape-token-0123456789"
    good = {"Authorization": "Bearer scrape-token-0123456789"}
    assert client.get("/metrics", environ_base=outside, headers=good).status_code == 200
    bad = {"Authorization": "Bearer wrong"}
    assert client.get("/metrics", environ_base=outside, headers=bad).status_code == 403
    # A wrong token is refused even from an allowed network.
    assert client.get("/metrics", headers=bad).status_code == 403


def test_metrics_with_networks_none_needs_the_token(client: Any, metrics_settings: Any) -> None:
    metrics_settings["METRICS_ALLOWED_NETWORKS"] = "none"
    assert client.get("/metrics").status_code == 403
