"""Free text to staff through the phone line (Twilio or the gateway): a row of the outbox, sent once per origin.

Its receipt comes to the line's status callback (`LINE_STATUS_PATH`), recorded by
`hotline.sms.services.record_line_status` like a template provider's report.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hotline.privacy import phone_lookup_hash
from hotline.sms.exceptions import StaffSmsFailed
from hotline.sms.models import SmsMessage

LINE = "sms"
"""The provider name of a free-text SMS through the phone line (Twilio or the gateway)."""
LINE_STATUS_PATH = "/twilio/sms/status/{id}"


def text_through_line(
    session: Session, phone_line: Any, kind: str, to: str, body: str, *, origin: str, now: datetime
) -> str:
    """Send free text through the phone line once per origin, its receipt to come to the line's status callback.

    The row is committed `sending` before the line is asked. A clear refusal leaves it `failed` (the same
    origin may be tried again), a refusal that may have reached the network `uncertain` (never resent).

    Raises:
        StaffSmsFailed: the origin's message may have gone already (uncertain, or a send in progress).
        Exception: whatever the phone line raises (the row records it).
    """
    message = session.scalar(select(SmsMessage).where(SmsMessage.origin == origin))
    if message is not None and message.status in ("sent", "delivered", "undelivered"):
        return message.provider_message_id or ""
    if message is not None and message.status != "failed":
        raise StaffSmsFailed(message.error or message.status)
    if message is None:
        message = SmsMessage(
            kind=kind,
            provider=LINE,
            to=to,
            to_hash=phone_lookup_hash(to),
            template_id="",
            params=[],
            origin=origin,
            attempts=0,
            created_at=now,
        )
        session.add(message)
    message.status, message.attempts, message.error = "sending", message.attempts + 1, None
    message.due_at = message.updated_at = now
    session.commit()  # before the request: a status callback may arrive while the line still answers
    message_id = message.id
    callback = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + LINE_STATUS_PATH.format(id=message_id)
    try:
        sid = phone_line.send_sms(to, body, callback)
    except Exception as exc:
        uncertain = bool(getattr(exc, "maybe_done", False))
        session.execute(
            update(SmsMessage)
            .where(SmsMessage.id == message_id)
            .values(status="uncertain" if uncertain else "failed", error=(str(exc) or type(exc).__name__)[:300])
            .execution_options(synchronize_session=False)
        )
        session.commit()
        raise
    # One UPDATE each: the receipt may already have moved the message on (it names the sid).
    session.execute(
        update(SmsMessage)
        .where(SmsMessage.id == message_id, SmsMessage.status == "sending")
        .values(status="sent")
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(SmsMessage)
        .where(SmsMessage.id == message_id)
        .values(provider_message_id=sid, sent_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return sid
