"""Notifying a referral's target: channels by urgency, responder and country; the text; reply codes;
signed links; sending the stored attempts; delivery status from Twilio."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta

import phonenumbers
from flask import current_app
from flask_babel import force_locale, gettext
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.directory.models import Area
from hotline.escalation.exceptions import ReferralEnded, ReferralExpired, ReferralNotFound
from hotline.escalation.models import (
    OPEN_REFERRAL,
    Channel,
    Escalation,
    EscalationStatus,
    NotificationAttempt,
    Referral,
    ReferralStatus,
    ResponderReplyCode,
    escalation_label,
    lock_escalation,
    log_event,
    referral_ended,
)
from hotline.escalation.policies import setting
from hotline.escalation.providers import CHANNELS, ChannelError, public_url
from hotline.escalation.recipients import Recipient
from hotline.privacy import mask_phone
from hotline.telephony.models import Call
from hotline.telephony.providers import TelephonyProvider

log = logging.getLogger("hotline.escalation")
LINK_SALT = "hotline.responder-link"
CALL_ORDER = ("queued", "initiated", "ringing", "in-progress", "answered", "completed")
FINAL_STATES = {"delivered", "undelivered", "failed", "completed", "busy", "no-answer", "canceled", "read"}


# --- Signed links and reply codes ------------------------------------------------------------------


def serializer() -> URLSafeTimedSerializer:
    """Return the signer of responder links."""
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=LINK_SALT)


def link_token(referral_id: int) -> str:
    """Return a short signed token scoped to one referral."""
    return serializer().dumps(referral_id)


def responder_link(referral_id: int) -> str:
    """Return the responder page's absolute URL for a referral."""
    return public_url(f"/r/{link_token(referral_id)}")


def read_link_token(session: Session, token: str) -> int:
    """Return the referral id a token is for.

    Raises:
        ReferralNotFound: the token was tampered with or names no referral.
        ReferralExpired: the token is older than the configured link lifetime.
        ReferralEnded: the referral is over (see `referral_ended`): the link is dead.
    """
    hours = int(setting(session, "escalation.link")["hours"])
    try:
        referral_id = serializer().loads(token, max_age=hours * 3600)
    except SignatureExpired as exc:
        raise ReferralExpired("link expired") from exc
    except BadSignature as exc:
        raise ReferralNotFound("bad link") from exc
    referral = session.get(Referral, referral_id) if isinstance(referral_id, int) else None
    if referral is None:
        raise ReferralNotFound("no such referral")
    if referral_ended(referral):
        raise ReferralEnded(referral.status)
    return referral_id


def ensure_reply_code(session: Session, referral: Referral, now: datetime) -> ResponderReplyCode:
    """Return the referral's reply code, creating one unused by any live referral."""
    existing = session.scalar(select(ResponderReplyCode).where(ResponderReplyCode.referral_id == referral.id))
    if existing is not None:
        return existing
    hours = int(setting(session, "escalation.link")["hours"])
    while True:
        code = f"{secrets.randbelow(9000) + 1000}"
        clash = session.scalar(
            select(ResponderReplyCode.id).where(ResponderReplyCode.code == code, ResponderReplyCode.expires_at > now)
        )
        if clash is None:
            break
    reply_code = ResponderReplyCode(
        referral_id=referral.id, code=code, phone=referral.target_phone, expires_at=now + timedelta(hours=hours)
    )
    session.add(reply_code)
    return reply_code


# --- Which channels -------------------------------------------------------------------------------


def sms_restricted(session: Session, phone: str | None) -> bool:
    """Return whether two-way SMS and links are barred for this number (Twilio's rules for mainland China)."""
    if not phone or current_app.config.get("TELEPHONY") != "twilio":
        return False
    try:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(phone, None))
    except phonenumbers.NumberParseException:
        return False
    return region in setting(session, "escalation.sms_rules").get("restricted_countries", [])


def pick_channels(session: Session, recipient: Recipient, urgency: str) -> list[tuple[str, str, bool]]:
    """Return (channel, destination, two_way) for a recipient: the urgency's channels that the
    responder takes, reachable, with a voice call added where SMS cannot carry a reply."""
    by_urgency = setting(session, "escalation.channels").get(urgency) or [Channel.SMS.value]
    wanted = [c for c in by_urgency if not recipient.channels or c in recipient.channels] or list(recipient.channels)
    restricted = sms_restricted(session, recipient.phone)
    chosen: list[tuple[str, str, bool]] = []
    for channel in wanted:
        if channel in (Channel.SMS, Channel.VOICE) and recipient.phone:
            chosen.append((channel, recipient.phone, not (channel == Channel.SMS and restricted)))
        elif channel == Channel.WEBHOOK and recipient.webhook_url:
            chosen.append((channel, recipient.webhook_url, True))
    names = [c for c, _, _ in chosen]
    if recipient.phone and (not chosen or (restricted and Channel.VOICE not in names)):
        # Whoever we notify must have a way to answer: a voice call works in every country.
        chosen.append((Channel.VOICE.value if restricted else Channel.SMS.value, recipient.phone, True))
    return chosen


# --- The text -------------------------------------------------------------------------------------


def area_name(session: Session, escalation: Escalation) -> str:
    """Return the caller's area, or a placeholder."""
    area = session.get(Area, escalation.area_id) if escalation.area_id else None
    return area.name if area is not None else gettext("area unknown")


def caller_number(session: Session, escalation: Escalation) -> str | None:
    """Return the caller's number (E.164) from the case, else the call."""
    if escalation.case is not None and escalation.case.caller_phone:
        return escalation.case.caller_phone
    call = session.get(Call, escalation.call_id) if escalation.call_id else None
    return call.from_number if call is not None else None


def message_text(
    session: Session, escalation: Escalation, referral: Referral, channel: str, two_way: bool, code: str | None
) -> str:
    """Return the notification's text in the hotline's language; personal details only with consent."""
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        values = {
            "id": referral.id,
            "urgency": escalation_label(escalation.urgency),
            "reason": escalation_label(escalation.reason),
            "area": area_name(session, escalation),
            "ask": (escalation.note or "")[:80],
            "code": code or "",
            "link": responder_link(referral.id),
        }
        number = caller_number(session, escalation)
        caller = (
            gettext(" Caller %(number)s.", number=mask_phone(number))
            if number and escalation.shares_personal_details
            else ""
        )
        head = gettext("Hotline referral #%(id)s (%(urgency)s): %(reason)s, %(area)s.", **values) + caller
        ask = f" {values['ask']}" if values["ask"] else ""
        if channel == Channel.VOICE:
            return (
                gettext("This is the social-work hotline.")
                + " "
                + head
                + ask
                + " "
                + gettext("Press 1 to accept, press 2 to decline.")
            )
        if channel == Channel.WEBHOOK:
            return head + ask + " " + gettext("Accept or decline here: %(link)s", **values)
        if not two_way:
            return head + ask + " " + gettext("Answer our call to accept or decline.")
        return (
            head
            + ask
            + " "
            + gettext('Reply "1 %(code)s" to accept, "2 %(code)s" to decline. Details: %(link)s', **values)
        )


def create_attempts(
    session: Session, escalation: Escalation, referral: Referral, recipient: Recipient, urgency: str, now: datetime
) -> list[int]:
    """Store the attempts to notify a referral's target; return their ids (sent after the commit)."""
    session.flush()
    code = ensure_reply_code(session, referral, now)
    ids = []
    for channel, destination, two_way in pick_channels(session, recipient, urgency):
        attempt = NotificationAttempt(
            referral_id=referral.id,
            channel=channel,
            destination=destination,
            two_way=two_way,
            body=message_text(session, escalation, referral, channel, two_way, code.code),
            status="queued",
            created_at=now,
        )
        session.add(attempt)
        session.flush()
        ids.append(attempt.id)
    if not ids:
        log_event(session, escalation, "unreachable", now, referral=referral, target=referral.target_name)
    return ids


# --- Sending --------------------------------------------------------------------------------------


def dispatch(session: Session, attempt_ids: list[int], provider: TelephonyProvider, now: datetime) -> int:
    """Send stored attempts, each once, never after the chain was acknowledged; return how many went out.

    The chain's row stays locked while an attempt is sent, so an acknowledgement
    either comes before (and the attempt is cancelled) or after it.
    """
    sent = 0
    for attempt_id in attempt_ids:
        attempt = session.get(NotificationAttempt, attempt_id)
        if attempt is None:
            continue
        escalation = lock_escalation(session, attempt.referral.escalation_id)
        session.refresh(attempt)
        referral = session.get(Referral, attempt.referral_id, populate_existing=True)
        if attempt.status != "queued":
            session.commit()
            continue
        if referral.status not in OPEN_REFERRAL or escalation is None or escalation.status != EscalationStatus.RUNNING:
            attempt.status, attempt.updated_at = "cancelled", now
            session.commit()
            continue
        try:
            attempt.provider_id = CHANNELS[attempt.channel].send(attempt, provider)
        except ChannelError as exc:
            attempt.status, attempt.error = "failed", str(exc)[:300]
            log_event(session, escalation, "notify_failed", now, referral=referral, channel=attempt.channel)
        else:
            attempt.status, attempt.sent_at = "sent", now
            if referral.status == ReferralStatus.PENDING:
                referral.status = ReferralStatus.NOTIFIED.value
            log_event(session, escalation, "notified", now, referral=referral, channel=attempt.channel)
            sent += 1
        attempt.updated_at = now
        session.commit()
    return sent


def queued_attempt_ids(session: Session, limit: int = 100) -> list[int]:
    """Return attempts stored but never sent (a process died between the commit and the send)."""
    return list(
        session.scalars(
            select(NotificationAttempt.id)
            .where(NotificationAttempt.status == "queued")
            .order_by(NotificationAttempt.id)
            .limit(limit)
        )
    )


def record_delivery(
    session: Session, attempt_id: int, status: str, sequence: int | None, error: str | None, now: datetime
) -> NotificationAttempt:
    """Record a delivery status from Twilio, only ever moving forward (callbacks come out of order).

    Raises:
        ReferralNotFound: no such attempt.
    """
    attempt = session.get(NotificationAttempt, attempt_id)
    if attempt is None:
        raise ReferralNotFound(f"attempt {attempt_id}")
    status = (status or "").strip().lower()
    if sequence is not None:
        if sequence <= attempt.last_sequence:
            return attempt
        attempt.last_sequence = sequence
    if attempt.status in FINAL_STATES and status not in FINAL_STATES:
        return attempt
    if (
        attempt.status in CALL_ORDER
        and status in CALL_ORDER
        and CALL_ORDER.index(status) < CALL_ORDER.index(attempt.status)
    ):
        return attempt
    if status:
        attempt.status = status
        attempt.updated_at = now
        if error:
            attempt.error = error[:300]
    session.commit()
    return attempt


def referral_for_attempt(session: Session, attempt_id: int) -> Referral:
    """Return the referral an attempt belongs to.

    Raises:
        ReferralNotFound: no such attempt.
    """
    attempt = session.get(NotificationAttempt, attempt_id)
    if attempt is None:
        raise ReferralNotFound(f"attempt {attempt_id}")
    return attempt.referral
