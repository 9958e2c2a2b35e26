"""The callback confirmation by SMS: a consenting caller who asked for a callback is told by when.

Sent once per call (origin `callback:<call id>`) when the callback task opens for a
caller who consented before, or when the caller presses 1 for SMS on the call.
The expected time is the open task's deadline, in the hotline's time zone.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session

from hotline.callbacks.services import expected_callback_time
from hotline.sms import services as sms
from hotline.sms.kinds import moment_text
from hotline.sms.models import SmsMessage
from hotline.telephony.models import Call

log = logging.getLogger("hotline.callbacks")


def confirm_by_sms(session: Session, call_id: int, now: datetime) -> SmsMessage | None:
    """Text the callback confirmation to the call's caller if they consented and a task is open."""
    call = session.get(Call, call_id)
    due_at = expected_callback_time(session, call_id)
    if call is None or due_at is None or not call.from_number:
        return None
    try:
        return sms.send_to_caller(
            session,
            "callback_confirmation",
            call.from_number,
            {"time": moment_text(due_at)},
            f"callback:{call_id}",
            now,
        )
    except Exception:  # noqa: BLE001  (the task is committed; a failed text must not undo it)
        session.rollback()
        log.exception("callback confirmation SMS for call %s failed", call_id)
        return None
