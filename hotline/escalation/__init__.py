"""Escalation policies, referrals, notifications and acknowledgements."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l

from hotline import nav, signals
from hotline.vocabulary import Role

log = logging.getLogger("hotline.escalation")


def on_callback_needed(_sender: Any, call_id: int, reason: str, **_extra: Any) -> None:
    """Create a callback referral for a missed, abandoned or voicemail call, or a callback request."""
    from hotline.clock import utcnow
    from hotline.escalation.triggers import callback_for_call
    from hotline.extensions import db

    try:
        callback_for_call(db.session, call_id, reason, utcnow())
    except Exception:  # noqa: BLE001  (the sender's work is committed; log, never break it)
        db.session.rollback()
        log.exception("callback referral for call %s failed", call_id)


def on_intake_saved(_sender: Any, case_id: int, risk: str, worker_id: int | None = None, **_extra: Any) -> None:
    """Alert the supervisor on call and start the urgent chain when an intake finds high or imminent risk."""
    from hotline.clock import utcnow
    from hotline.escalation.triggers import escalate_risk
    from hotline.extensions import db
    from hotline.telephony.providers import get_provider

    try:
        escalate_risk(db.session, case_id, risk, worker_id=worker_id, now=utcnow(), provider=get_provider())
    except Exception:  # noqa: BLE001  (the intake is saved; log, never break it)
        db.session.rollback()
        log.exception("risk escalation for case %s failed", case_id)


def on_sms_received(
    _sender: Any, message_sid: str, from_number: str | None, body: str, templated: bool = False, **_extra: Any
) -> str | None:
    """Answer `1 <code>` / `2 <code>` replies to referrals; other texts are not ours (None).

    A reply through a template provider (`templated`) is confirmed by the acknowledgement template.
    """
    from flask_babel import gettext

    from hotline.clock import utcnow
    from hotline.escalation.replies import handle_sms
    from hotline.escalation.template_sms import confirm_reply
    from hotline.extensions import db

    try:
        now = utcnow()
        reply = handle_sms(db.session, message_sid, from_number, body, now)
        if reply is not None and templated and from_number:
            confirm_reply(db.session, message_sid, from_number, now)
        return reply
    except Exception:  # noqa: BLE001  (Twilio still gets an answer)
        db.session.rollback()
        log.exception("SMS reply %s failed", message_sid)
        return gettext("Sorry, your reply could not be handled. Please contact the hotline.")


def on_sms_delivery(_sender: Any, session: Any, origin: str | None, status: str, error: str | None, now: Any) -> None:
    """Record a template provider's delivery report on the escalation attempt that sent the message."""
    from hotline.escalation.exceptions import ReferralNotFound
    from hotline.escalation.notifications import record_delivery

    if origin and origin.startswith("attempt:") and origin[8:].isdigit():
        try:
            record_delivery(session, int(origin[8:]), status, None, error, now)
        except ReferralNotFound:
            log.warning("delivery report for a missing attempt %s", origin)


def init_app(app: Flask) -> None:
    """Register routes, navigation, and the receivers of the triggers and SMS replies."""
    from hotline.escalation import case_file, responder, routes  # noqa: F401  (responder adds its routes to the blueprint)
    from hotline.escalation.forms import OUTCOME_LABELS
    from hotline.escalation.models import attempt_label, escalation_label, via_label

    app.register_blueprint(routes.bp)
    app.jinja_env.globals["escalation_label"] = escalation_label
    app.jinja_env.globals["via_label"] = via_label
    app.jinja_env.globals["attempt_label"] = attempt_label
    app.jinja_env.globals["referral_outcome_label"] = lambda value: str(OUTCOME_LABELS.get(value, value or ""))
    nav.register(app, "escalation.board_page", _l("Escalations"), Role.WORKER, 40)
    nav.register(app, "escalation.policy_list", _l("Escalation policies"), Role.MANAGER, 75)
    nav.register(app, "escalation.settings_page", _l("Escalation settings"), Role.MANAGER, 76)
    nav.register(app, "escalation.messages_page", _l("Sent messages"), Role.MANAGER, 77)
    signals.callback_needed.connect(on_callback_needed)
    signals.intake_saved.connect(on_intake_saved)
    signals.sms_received.connect(on_sms_received)
    signals.sms_delivery.connect(on_sms_delivery)
    case_file.connect(signals)
