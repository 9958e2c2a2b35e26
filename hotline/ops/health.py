"""The checks behind /healthz and /readyz: database, Redis, the scheduler's heartbeat.

Each check answers quickly and never raises: a failure is a result with a reason,
so a probe can report every problem at once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from hotline.scheduler import HEARTBEAT_KEY


def check_database(session: Session) -> dict[str, Any]:
    """Run SELECT 1 and return {"ok": bool, ...}; roll back after a failure."""
    try:
        session.execute(text("SELECT 1"))
        return {"ok": True, "dialect": session.get_bind().dialect.name}
    except Exception as exc:  # noqa: BLE001  (any failure means "not ok")
        try:
            session.rollback()
        except Exception:  # noqa: BLE001, S110  (the connection may be gone; the pool will replace it)
            pass
        return {"ok": False, "error": type(exc).__name__}


def check_redis(url: str | None) -> dict[str, Any] | None:
    """Ping Redis with a one-second timeout; None when Redis is not configured."""
    if not url:
        return None
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
        return {"ok": True}
    except (redis.RedisError, OSError) as exc:
        return {"ok": False, "error": type(exc).__name__}
    finally:
        client.close()


def heartbeat_age(session: Session, now: datetime) -> float | None:
    """Return the seconds since the scheduler's last heartbeat, None if it never beat."""
    from hotline.settings import Setting

    row = session.get(Setting, HEARTBEAT_KEY)
    if row is None or not row.value.get("at"):
        return None
    beat = datetime.fromisoformat(row.value["at"])
    return max(0.0, (now - beat).total_seconds())


def check_scheduler(session: Session, now: datetime, max_age: int) -> dict[str, Any]:
    """Report the heartbeat's age; not ok past `max_age` seconds (0 turns the check off)."""
    if max_age <= 0:
        return {"ok": True, "checked": False}
    try:
        age = heartbeat_age(session, now)
    except Exception as exc:  # noqa: BLE001  (the database check reports the cause)
        session.rollback()
        return {"ok": False, "error": type(exc).__name__}
    if age is None:
        return {"ok": False, "error": "no heartbeat yet: is `flask --app wsgi scheduler run` running?"}
    result: dict[str, Any] = {"ok": age <= max_age, "age_seconds": round(age, 1), "max_age_seconds": max_age}
    if not result["ok"]:
        result["error"] = "heartbeat too old: the scheduler is stopped or stuck"
    return result


def readiness(session: Session, redis_url: str | None, now: datetime, max_age: int) -> dict[str, dict[str, Any]]:
    """Return every readiness check by name."""
    checks: dict[str, dict[str, Any]] = {"database": check_database(session)}
    redis_state = check_redis(redis_url)
    if redis_state is not None:
        checks["redis"] = redis_state
    if checks["database"]["ok"]:
        checks["scheduler"] = check_scheduler(session, now, max_age)
    else:
        checks["scheduler"] = {"ok": False, "error": "unknown: the database is not reachable"}
    return checks
