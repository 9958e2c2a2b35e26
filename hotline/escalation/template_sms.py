"""Escalation SMS through a template provider (Alibaba or Tencent): request, reminder, acknowledgement.

The escalation's dispatch claims each attempt (a committed `sending`) before it is
sent, so an attempt is never sent twice, not even across a scheduler restart; the
message is recorded in the `sms` outbox once per attempt, with the provider's id
that delivery reports name.
"""

from __future__ import annotations

import logging
from datetime import datetime

from flask import current_app
from flask_babel import force_locale, gettext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.directory.models import Area
from hotline.escalation.models import (
    Channel,
    NotificationAttempt,
    Referral,
    ResponderReplyCode,
    SmsReply,
    escalation_label,
)
from hotline.sms import services as sms
from hotline.sms.models import SmsMessage
from hotline.telephony.models import Call

log = logging.getLogger("hotline.escalation")


def request_values(session: Session, referral: Referral, attempt_id: int) -> tuple[str, dict[str, str]]:
    """Return the kind (request, or reminder when the target was texted before) and its values."""
    escalation = referral.escalation
    code = session.scalar(select(ResponderReplyCode.code).where(ResponderReplyCode.referral_id == referral.id))
    earlier = session.scalar(
        select(func.count(NotificationAttempt.id)).where(
            NotificationAttempt.referral_id == referral.id,
            NotificationAttempt.channel == Channel.SMS.value,
            NotificationAttempt.id < attempt_id,
            NotificationAttempt.status.not_in(("queued", "cancelled")),
        )
    )
    area = session.get(Area, escalation.area_id) if escalation is not None and escalation.area_id else None
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        values = {
            "no": str(referral.number),
            "urgency": escalation_label(referral.urgency),
            "reason": escalation_label(referral.reason),
            "area": area.name if area is not None else gettext("area unknown"),
            "code": code or "",
        }
    return ("reminder" if earlier else "escalation_request"), values


def send_attempt(session: Session, attempt: NotificationAttempt, now: datetime) -> SmsMessage:
    """Send a claimed SMS attempt through the template provider; return the message with its outcome.

    The caller (the escalation's dispatch) has claimed the attempt and holds the chain's lock, and
    commits the message with the attempt's outcome. A throttled message stays `pending` and is sent
    again on the attempt's next try.

    Raises:
        SmsError: the provider has no template for the kind.
    """
    kind, values = request_values(session, attempt.referral, attempt.id)
    message = sms.queue(
        session,
        kind,
        attempt.destination,
        values,
        origin=f"attempt:{attempt.id}",
        now=now,
        expires_at=attempt.referral.due_at,
    )
    return sms.deliver_claimed(session, message, now)


def confirm_reply(session: Session, message_sid: str, to: str, now: datetime) -> None:
    """Text the acknowledgement confirmation for a handled reply (the template path's answer)."""
    reply = session.scalar(select(SmsReply).where(SmsReply.message_sid == message_sid))
    referral = session.get(Referral, reply.referral_id) if reply is not None and reply.referral_id else None
    if referral is None:
        return
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        result = {
            "accept": gettext("accepted, thank you"),
            "decline": gettext("declined, thank you"),
        }.get(reply.result, gettext("nothing changed"))
    sms.send_to_staff(
        session, "acknowledgement", to, {"no": str(referral.number), "result": result}, f"reply:{message_sid}", now
    )


def caller_phone(session: Session, referral: Referral) -> str | None:
    """Return the caller's number (E.164) of a referral's case, else of its chain's call."""
    if referral.case is not None and referral.case.caller_phone:
        return referral.case.caller_phone
    escalation = referral.escalation
    call = session.get(Call, escalation.call_id) if escalation is not None and escalation.call_id else None
    return call.from_number if call is not None else None


def text_caller_progress(session: Session, referral: Referral, now: datetime) -> None:
    """Tell a consenting caller that a station (or expert, organisation) has taken their request (committed)."""
    if referral.reason == "callback" or referral.target_kind not in ("station", "expert", "organisation"):
        return
    phone = caller_phone(session, referral)
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        values = {"station": referral.target_name or "", "status": gettext("has been taken on")}
    try:
        sms.send_to_caller(session, "referral_progress", phone, values, f"progress:{referral.id}", now)
    except Exception:  # noqa: BLE001  (the answer is committed; a failed text must not undo it)
        session.rollback()
        log.exception("progress SMS for referral %s failed", referral.id)
