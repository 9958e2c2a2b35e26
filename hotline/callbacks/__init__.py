"""The callback queue: every voicemail, callback request and missed call becomes a task to dial and close."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select

from hotline import nav, signals
from hotline.vocabulary import Role

log = logging.getLogger("hotline.callbacks")


def on_callback_needed(_sender: Any, call_id: int, reason: str, **_extra: Any) -> None:
    """Open the callback task of a missed, abandoned or voicemail call, or a callback request."""
    from hotline.callbacks.services import open_for_call
    from hotline.clock import utcnow
    from hotline.extensions import db

    try:
        task = open_for_call(db.session, call_id, reason, utcnow())
    except Exception:  # noqa: BLE001  (the sender's work is committed; log, never break it)
        db.session.rollback()
        log.exception("callback task for call %s failed", call_id)
        return
    if task is not None and reason == "callback-requested":
        from hotline.callbacks.texts import confirm_by_sms

        confirm_by_sms(db.session, call_id, utcnow())


def on_sms_consent_given(_sender: Any, call_id: int, **_extra: Any) -> None:
    """Text the callback confirmation once the caller pressed 1 for SMS."""
    from hotline.callbacks.texts import confirm_by_sms
    from hotline.clock import utcnow
    from hotline.extensions import db

    confirm_by_sms(db.session, call_id, utcnow())


def owned_case_ids(_sender: Any = None, user_id: int = 0, **_extra: Any) -> Select:
    """Answer need-to-know: the cases of the callbacks a user owns are theirs to read."""
    from hotline.callbacks.models import CallbackTask

    return select(CallbackTask.case_id).where(CallbackTask.owner_id == user_id, CallbackTask.case_id.is_not(None))


def init_app(app: Flask) -> None:
    """Register the pages, the navigation and the receivers of the line's callback signal."""
    from hotline.callbacks import routes
    from hotline.callbacks.labels import callback_label

    app.register_blueprint(routes.bp)
    app.jinja_env.globals["callback_label"] = callback_label
    nav.register(app, "callbacks.queue", _l("Callbacks"), Role.WORKER, 35)
    nav.register(app, "callbacks.schedule_page", _l("Callback schedule"), Role.MANAGER, 77)
    signals.callback_needed.connect(on_callback_needed)
    signals.sms_consent_given.connect(on_sms_consent_given)
    signals.case_handlers.connect(owned_case_ids, weak=False)
