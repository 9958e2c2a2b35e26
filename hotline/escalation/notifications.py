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
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from hotline.directory.models import Area
from hotline.escalation.exceptions import ReferralEnded, ReferralExpired, ReferralNotFound
from hotline.escalation.models import (
    OPEN_REFERRAL,
    ROBOT_CHANNELS,
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
from hotline.escalation.providers import CHANNELS, ChannelError, public_url, robot_destination
from hotline.escalation.recipients import Recipient
from hotline.privacy import mask_phone
from hotline.sms.services import template_provider
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
    if not phone or current_app.config.get("TELEPHONY") != "twilio" or template_provider(session):
        return False
    try:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(phone, None))
    except phonenumbers.NumberParseException:
        return False
    return region in setting(session, "escalation.sms_rules").get("restricted_countries", [])


def wanted_channels(session: Session, recipient: Recipient, urgency: str) -> list[str]:
    """Return the channels to try, in order: the recipient's preferences that the urgency allows
    (any robot where the urgency says "group chat robot"), else all of them; no preference: the urgency's."""
    by_urgency = setting(session, "escalation.channels").get(urgency) or [Channel.SMS.value]
    if not recipient.channels:
        return list(by_urgency)

    def allowed(channel: str) -> bool:
        return channel in by_urgency or (channel in ROBOT_CHANNELS and Channel.WEBHOOK.value in by_urgency)

    return [c for c in recipient.channels if allowed(c)] or list(recipient.channels)


def pick_channels(session: Session, recipient: Recipient, urgency: str) -> list[tuple[str, str, bool]]:
    """Return (channel, destination, two_way) for a recipient: the channels wanted that it can be
    reached on, with a voice call added where SMS cannot carry a reply.

    A robot channel ("webhook" for any) reaches the recipient's robot when it is of that kind; the
    attempt's channel is the robot's kind and its destination the robot itself (stored encrypted).
    """
    restricted = sms_restricted(session, recipient.phone)
    robot = recipient.robot
    chosen: list[tuple[str, str, bool]] = []
    for channel in wanted_channels(session, recipient, urgency):
        if channel in (Channel.SMS, Channel.VOICE) and recipient.phone:
            pick = (channel, recipient.phone, not (channel == Channel.SMS and restricted))
        elif channel in ROBOT_CHANNELS and robot is not None and channel in (Channel.WEBHOOK, robot.kind):
            pick = (robot.kind, robot_destination(robot, recipient.mentions_for(robot.kind)), True)
        else:
            continue
        if all(c != pick[0] for c, _, _ in chosen):
            chosen.append(pick)
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
            "id": referral.number,
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
        if channel in ROBOT_CHANNELS:
            return (
                head
                + ask
                + " "
                + gettext("This robot cannot take replies: open the link to accept or decline: %(link)s", **values)
            )
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


MAX_TRIES = 5
STALE_SEND = timedelta(minutes=5)
UNREACHED = ("failed", "undelivered", "cancelled")


def claim_attempt(session: Session, attempt_id: int, now: datetime) -> bool:
    """Mark a queued attempt `sending` and commit, so that it is posted at most once.

    A process that dies after this leaves the attempt `sending`: it is marked
    `uncertain` later and never posted again.
    """
    claimed = session.execute(
        update(NotificationAttempt)
        .where(
            NotificationAttempt.id == attempt_id,
            NotificationAttempt.status == "queued",
            or_(NotificationAttempt.retry_at.is_(None), NotificationAttempt.retry_at <= now),
        )
        .values(status="sending", updated_at=now)
    )
    session.commit()
    return claimed.rowcount == 1


def dispatch(session: Session, attempt_ids: list[int], provider: TelephonyProvider, now: datetime) -> int:
    """Send stored attempts, each at most once, never after the chain was acknowledged; return how many went out.

    Each attempt is claimed first (`sending`, committed); then the chain's row is
    locked while it is sent, so an acknowledgement either comes before (and the
    attempt is cancelled) or after it. A failure worth retrying (a rate limit, no
    connection) queues the attempt again for later within the step's deadline;
    any other failure is final, and when nobody at the step can be reached any
    more the chain goes on to its next step at the next tick.
    """
    sent = 0
    for attempt_id in attempt_ids:
        if not claim_attempt(session, attempt_id, now):
            continue
        attempt = session.get(NotificationAttempt, attempt_id)
        if attempt is None:
            continue
        escalation = lock_escalation(session, attempt.referral.escalation_id)
        session.refresh(attempt)
        referral = session.get(Referral, attempt.referral_id, populate_existing=True)
        if referral.status not in OPEN_REFERRAL or escalation is None or escalation.status != EscalationStatus.RUNNING:
            attempt.status, attempt.updated_at = "cancelled", now
            session.commit()
            continue
        try:
            attempt.provider_id = CHANNELS[attempt.channel].send(attempt, provider, now)
        except ChannelError as exc:
            attempt.tries += 1
            attempt.error = str(exc)[:300]
            retry_at = now + timedelta(seconds=max(exc.retry_after or 0, 30 * 2 ** (attempt.tries - 1)))
            if exc.retry_after is not None and attempt.tries < MAX_TRIES and retry_at < (referral.due_at or now):
                attempt.status, attempt.retry_at = "queued", retry_at
                log_event(
                    session,
                    escalation,
                    "notify_retry",
                    now,
                    referral=referral,
                    channel=attempt.channel,
                    until=retry_at.isoformat(),
                )
            else:
                attempt.status = "uncertain" if exc.uncertain else "failed"
                log_event(session, escalation, "notify_failed", now, referral=referral, channel=attempt.channel)
                go_on_if_unreachable(session, escalation, referral, now)
        else:
            attempt.status, attempt.sent_at = "sent", now
            if referral.status == ReferralStatus.PENDING:
                referral.status = ReferralStatus.NOTIFIED.value
            log_event(session, escalation, "notified", now, referral=referral, channel=attempt.channel)
            sent += 1
        attempt.updated_at = now
        session.commit()
    return sent


def go_on_if_unreachable(session: Session, escalation: Escalation, referral: Referral, now: datetime) -> None:
    """Move the chain on at the next tick when no target still waiting at this step can be reached."""
    if escalation.step_index != referral.step_number or escalation.status != EscalationStatus.RUNNING:
        return
    session.flush()
    waiting = [r for r in escalation.referrals if r.step_number == referral.step_number and r.status in OPEN_REFERRAL]
    if all(attempt.status in UNREACHED for r in waiting for attempt in r.attempts):
        escalation.due_at, escalation.version = now, escalation.version + 1
        log_event(session, escalation, "unreachable", now, referral=referral, step=referral.step_number)


def queued_attempt_ids(session: Session, now: datetime | None = None, limit: int = 100) -> list[int]:
    """Return attempts stored but never sent (a process died between the commit and the send), and
    those due for another try."""
    query = select(NotificationAttempt.id).where(NotificationAttempt.status == "queued")
    if now is not None:
        query = query.where(or_(NotificationAttempt.retry_at.is_(None), NotificationAttempt.retry_at <= now))
    return list(session.scalars(query.order_by(NotificationAttempt.id).limit(limit)))


def give_up_stale_sends(session: Session, now: datetime) -> int:
    """Mark `uncertain` the attempts a process claimed and never finished (it died while sending)."""
    stale = list(
        session.scalars(
            select(NotificationAttempt).where(
                NotificationAttempt.status == "sending", NotificationAttempt.updated_at < now - STALE_SEND
            )
        )
    )
    for attempt in stale:
        attempt.status, attempt.updated_at = "uncertain", now
        attempt.error = "the process stopped while sending: not sent again"
        escalation = attempt.referral.escalation
        if escalation is not None:
            log_event(session, escalation, "notify_failed", now, referral=attempt.referral, channel=attempt.channel)
    session.commit()
    return len(stale)


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
