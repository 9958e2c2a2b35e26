"""The post-call survey by SMS: a consenting caller who hung up before answering the voice question is texted.

When a call a worker answered ends without a 1-5 answer, the caller gets the
`survey` template (once per call, origin `survey:<CallSid>`) if they agreed to SMS
and never opted out; their reply 1-5 is recorded as the call's satisfaction, as
a keypress would be.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.sms import services as sms
from hotline.telephony.models import Call, CallSatisfaction
from hotline.telephony.services import record_satisfaction

log = logging.getLogger("hotline.telephony.survey")
PREFIX = "survey:"


def text_survey_if_missed(session: Session, call_id: int, survey_enabled: bool, now: datetime) -> bool:
    """Text the survey after an answered call that ended without an answer to the voice question."""
    call = session.get(Call, call_id)
    if not survey_enabled or call is None or call.answered_at is None or not call.from_number:
        return False
    if session.scalar(select(CallSatisfaction.id).where(CallSatisfaction.call_id == call.id)) is not None:
        return False
    message = sms.send_to_caller(session, "survey", call.from_number, {}, f"{PREFIX}{call.call_sid}", now)
    return message is not None


def on_call_ended(_sender: Any, call_id: int, **_extra: Any) -> None:
    """Receiver of `call_ended`: the SMS survey for a caller who missed the voice one."""
    from hotline.clock import utcnow
    from hotline.extensions import db
    from hotline.telephony.survey import is_enabled

    try:
        text_survey_if_missed(db.session, call_id, is_enabled(), utcnow())
    except Exception:  # noqa: BLE001  (the call is committed; a failed text must not break the webhook)
        db.session.rollback()
        log.exception("SMS survey for call %s failed", call_id)


def on_survey_answered(_sender: Any, session: Session, origin: str | None, score: int, now: datetime) -> None:
    """Receiver of `sms_survey_answered`: record the 1-5 reply against the call (the first answer stands)."""
    if origin and origin.startswith(PREFIX):
        record_satisfaction(session, origin[len(PREFIX) :], str(score), now)
