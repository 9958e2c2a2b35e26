"""The router's scheduler tick: ring timeouts, wrap-ups, lost consoles, calls queued while nobody listened."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from hotline import push
from hotline.clock import utcnow
from hotline.extensions import db
from hotline.routing.presence import expire_lost_consoles, finish_wrap_ups
from hotline.routing.router import expire_offers, route, sync_with_queue
from hotline.routing.settings import load_routing_settings


def tick() -> None:
    """Run one routing tick now (the scheduler calls this every few seconds)."""
    run_tick(db.session, utcnow())


def run_tick(session: Session, now: datetime) -> dict[str, int]:
    """Do everything that is due at `now`; each step claims rows by version, so a repeated tick does nothing twice."""
    settings = load_routing_settings(session)
    adopted = sync_with_queue(session, now)
    expired = expire_offers(session, now, settings)
    wrapped = finish_wrap_ups(session, now)
    lost = expire_lost_consoles(session, now, settings.console_grace_seconds)
    for user_id in wrapped:
        push.presence_changed(user_id, "available")
    for user_id in lost:
        push.presence_changed(user_id, "offline")
    if wrapped or lost:
        push.board_changed("presence")
    offers = route(session, now, settings)
    return {"adopted": adopted, "expired": expired, "wrapped": len(wrapped), "lost": len(lost), "offered": len(offers)}
