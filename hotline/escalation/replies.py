"""Answers that arrive by phone: SMS replies (`1 <code>` accepts, `2 <code>` declines) and keypresses.

Each SMS is handled once per MessageSid; a replay gets the first answer again and
changes nothing. Every refusal (unknown code, wrong sender, expired referral,
already answered) is explained to the sender in the reply.
"""

from __future__ import annotations

import re
from datetime import datetime

from flask import current_app
from flask_babel import force_locale, gettext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline.escalation.exceptions import AlreadyAnswered, ReferralExpired, ReferralNotFound
from hotline.escalation.models import Referral, ResponderReplyCode, SmsReply, escalation_label
from hotline.escalation.notifications import referral_for_attempt, responder_link
from hotline.escalation.services import respond

REPLY_PATTERN = re.compile(r"^\s*([12])\s*[#:：,，.]?\s*([0-9A-Za-z]{3,12})\s*$")
ANSWERS = {"1": "accept", "2": "decline"}


def parse_reply(body: str | None) -> tuple[str, str] | None:
    """Return (answer, code) of a reply like "1 4821", or None when the text is not a reply."""
    match = REPLY_PATTERN.match(body or "")
    return (ANSWERS[match.group(1)], match.group(2)) if match else None


def answer_text(answer: str, referral: Referral) -> str:
    """Return the confirmation sent back for an accepted or declined referral (named by its number)."""
    if answer == "accept":
        return gettext(
            "Thank you: you have accepted referral #%(id)s. Details and outcome: %(link)s",
            id=referral.number,
            link=responder_link(referral.id),
        )
    return gettext("Referral #%(id)s declined; we will ask someone else. Thank you.", id=referral.number)


def refusal_text(error: Exception) -> str:
    """Return the explanation sent back when an answer changes nothing."""
    if isinstance(error, AlreadyAnswered):
        return gettext(
            "This referral was already answered (%(status)s); nothing changed.",
            status=escalation_label(error.status),
        )
    if isinstance(error, ReferralExpired):
        return gettext("This request has expired or was passed on to someone else; nothing changed.")
    return gettext("This code was not recognised; nothing changed.")


def handle_sms(session: Session, message_sid: str, from_number: str | None, body: str, now: datetime) -> str | None:
    """Handle an SMS reply to a referral; return the text to send back (None: not a reply to us)."""
    parsed = parse_reply(body)
    if parsed is None:
        return None
    seen = session.scalar(select(SmsReply).where(SmsReply.message_sid == message_sid))
    if seen is not None:
        return seen.reply
    answer, code = parsed
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        result, referral_id, reply = decide(session, answer, code, from_number, now)
    try:
        session.add(SmsReply(message_sid=message_sid, referral_id=referral_id, result=result, reply=reply, at=now))
        session.commit()
    except IntegrityError:
        # The same message handled at the same moment by another process: its answer stands.
        session.rollback()
        seen = session.scalar(select(SmsReply).where(SmsReply.message_sid == message_sid))
        return seen.reply if seen is not None else reply
    return reply


def decide(
    session: Session, answer: str, code: str, from_number: str | None, now: datetime
) -> tuple[str, int | None, str]:
    """Apply one reply; return (result, referral id, reply text)."""
    reply_code = session.scalar(
        select(ResponderReplyCode).where(ResponderReplyCode.code == code).order_by(ResponderReplyCode.id.desc())
    )
    if reply_code is None:
        return "unknown_code", None, refusal_text(ReferralNotFound(code))
    if not from_number or from_number != reply_code.phone:
        return (
            "wrong_sender",
            reply_code.referral_id,
            gettext("This reply did not come from the number the request was sent to; nothing changed."),
        )
    if reply_code.expires_at <= now:
        return "expired", reply_code.referral_id, refusal_text(ReferralExpired("code"))
    try:
        respond(session, reply_code.referral_id, answer, now=now, via="sms")
    except (AlreadyAnswered, ReferralExpired, ReferralNotFound) as error:
        return type(error).__name__, reply_code.referral_id, refusal_text(error)
    return answer, reply_code.referral_id, answer_text(answer, session.get(Referral, reply_code.referral_id))


def handle_keypress(session: Session, attempt_id: int, digits: str, now: datetime) -> str:
    """Apply a keypress on a notification call (1 accept, 2 decline); return what to say."""
    referral = referral_for_attempt(session, attempt_id)
    answer = ANSWERS.get((digits or "").strip()[:1])
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        if answer is None:
            return gettext("No valid key was pressed.")
        try:
            respond(session, referral.id, answer, now=now, via="voice")
        except (AlreadyAnswered, ReferralExpired, ReferralNotFound) as error:
            return refusal_text(error)
        if answer == "accept":
            return gettext("Thank you, you have accepted. The hotline will be in touch with the details.")
        return gettext("You have declined. We will ask someone else. Thank you.")
