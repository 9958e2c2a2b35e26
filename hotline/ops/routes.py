"""/healthz (alive), /readyz (ready for traffic) and /metrics (Prometheus).

/metrics is public in the access-rule sense (Prometheus has no session) and
guarded here instead: a request passes with `Authorization: Bearer
<METRICS_TOKEN>`, or without a token from an address inside
METRICS_ALLOWED_NETWORKS (default: this machine only). See docs/deploy.md.
"""

from __future__ import annotations

import hmac
import ipaddress
from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, request

from hotline.access import bearer_token, public
from hotline.clock import utcnow
from hotline.extensions import db
from hotline.ops import health, metrics

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
@public("liveness probes carry no credentials")
def healthz() -> Any:
    """Answer 200 while the process serves requests; report the database without failing on it."""
    return jsonify({"status": "ok", "checks": {"database": health.check_database(db.session)}})


@bp.get("/readyz")
@public("readiness probes carry no credentials")
def readyz() -> Any:
    """Answer 200 when the database, Redis and the scheduler are fine, else 503 with the reasons."""
    checks = health.readiness(
        db.session,
        current_app.config.get("REDIS_URL"),
        utcnow(),
        current_app.config.get("SCHEDULER_HEARTBEAT_MAX_AGE", 60),
    )
    ready = all(check["ok"] for check in checks.values())
    reasons = [f"{name}: {check.get('error', 'not ok')}" for name, check in checks.items() if not check["ok"]]
    body = {"status": "ready" if ready else "unavailable", "checks": checks, "reasons": reasons}
    return jsonify(body), 200 if ready else 503


def metrics_allowed() -> bool:
    """Return whether the request carries the metrics token or comes from an allowed network."""
    token = current_app.config.get("METRICS_TOKEN")
    offered = bearer_token()
    if offered is not None:
        return bool(token) and hmac.compare_digest(offered.encode(), token.encode())
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    networks = current_app.config.get("METRICS_ALLOWED_NETWORKS", "127.0.0.1/32,::1/128")
    if networks == "none":
        return False
    return any(address in ipaddress.ip_network(item.strip(), strict=False) for item in networks.split(","))


@bp.get("/metrics")
@public("Prometheus has no session: a bearer token or an allowed network is checked in the view")
def prometheus_metrics() -> Any:
    """Return the metrics in Prometheus text format."""
    if not metrics_allowed():
        abort(403)
    payload, content_type = metrics.exposition(db.session, utcnow())
    return Response(payload, content_type=content_type)
