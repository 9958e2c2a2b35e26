"""Presence, offers and the accept that only one worker wins."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l

from hotline import nav, signals
from hotline.vocabulary import Role


def on_call_queued(sender: Any, call_id: int, **_: Any) -> None:
    """Offer a call that entered the queue."""
    from hotline.clock import utcnow
    from hotline.extensions import db
    from hotline.routing import services

    services.call_queued(db.session, call_id, utcnow())


def on_call_ended(sender: Any, call_id: int, **_: Any) -> None:
    """Close a call's routing and start the worker's wrap-up."""
    from hotline.clock import utcnow
    from hotline.extensions import db
    from hotline.routing import services

    services.call_ended(db.session, call_id, utcnow())


def readable_call_ids(sender: Any = None, *, user_id: int, **_: Any) -> Any:
    """Return a query of the ids of the calls ringing in the user's console or that they are on now."""
    from sqlalchemy import select

    from hotline.routing.models import Offer, WorkerPresence

    return (
        select(Offer.call_id)
        .where(Offer.worker_id == user_id, Offer.status == "ringing")
        .union(
            select(WorkerPresence.current_call_id).where(
                WorkerPresence.user_id == user_id, WorkerPresence.current_call_id.is_not(None)
            )
        )
    )


def init_app(app: Flask) -> None:
    """Register the routing API and settings page, and listen to the phone line."""
    from hotline.routing.routes import bp

    app.register_blueprint(bp)
    signals.call_queued.connect(on_call_queued, weak=False)
    signals.call_ended.connect(on_call_ended, weak=False)
    signals.call_readers.connect(readable_call_ids, weak=False)
    nav.register(app, "routing.settings_page", _l("Call routing"), Role.MANAGER, order=80)
