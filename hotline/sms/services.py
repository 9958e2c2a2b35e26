"""Sending templated SMS at most once, delivery reports, inbound texts, and callers' consent.

`queue` stores a message (once per origin) in the caller's transaction; `send`
claims it with a committed `sending` before asking the provider, then records
the outcome: sent (the provider's id), `pending` again when the provider said
"not sent, try later" (throttling) and the deadline allows, `uncertain` when the
message may have gone (never resent), `failed` otherwise. `retry_due` (the
scheduler) sends due messages and settles ones a dead process left `sending`.
Messages an escalation attempt owns ("attempt:…") are retried by the escalation
tick, which re-checks the referral under its lock first.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline import push, signals
from hotline.privacy import normalise_phone, phone_lookup_hash
from hotline.sms import configuration
from hotline.sms.exceptions import NoConsent, SmsNotConfigured, StaffSmsFailed
from hotline.sms.kinds import CALLER_KINDS, KINDS, ordered_values
from hotline.sms.line import LINE, text_through_line
from hotline.sms.models import SmsConsent, SmsInbound, SmsMessage
from hotline.sms.providers import SmsSendError, TemplatedSms

log = logging.getLogger("hotline.sms")
MAX_ATTEMPTS = 5
STALE_AFTER = timedelta(minutes=2)
OWNED_BY_ESCALATION = "attempt:"
DIRECTORY_TEST = "test:"
"""The origin prefix of a manager's test SMS from the directory page ("test:stations:4:…")."""
OPT_OUT_WORDS = frozenset({"TD", "退订", "TD退订", "T", "N", "0000"})
SURVEY_WINDOW = timedelta(hours=48)


def template_provider(session: Session) -> str | None:
    """Return "alibaba" or "tencent" when the installation sends template SMS, else None (the phone line's SMS)."""
    name = configuration.active_provider_name(session)
    return name if name in ("alibaba", "tencent") else None


# --- Consent ---------------------------------------------------------------------------------------


def consent_of(session: Session, phone: str | None) -> SmsConsent | None:
    """Return a number's consent row, if any."""
    digest = phone_lookup_hash(phone) if phone else None
    return session.scalar(select(SmsConsent).where(SmsConsent.phone_hash == digest)) if digest else None


def record_consent(session: Session, phone: str, source: str, now: datetime) -> SmsConsent | None:
    """Record a caller's consent to SMS (at intake or by keypress); an earlier opt-out still holds.

    Returns the consent row, or None when the number cannot be parsed. The caller commits.
    """
    e164 = normalise_phone(phone)
    if e164 is None:
        return None
    consent = consent_of(session, e164)
    if consent is None:
        consent = SmsConsent(phone_hash=phone_lookup_hash(e164), phone=e164, source=source)
        session.add(consent)
    if consent.consented_at is None:
        consent.consented_at, consent.source = now, source
    session.flush()
    return consent


def may_text_caller(session: Session, phone: str | None) -> bool:
    """Return whether a caller agreed to SMS and never opted out."""
    consent = consent_of(session, phone)
    return consent is not None and consent.consented_at is not None and consent.opted_out_at is None


def may_offer_sms(session: Session, phone: str | None) -> bool:
    """Return whether to ask a caller for SMS consent: a template provider, a number, no consent or opt-out yet."""
    if not phone or template_provider(session) is None:
        return False
    consent = consent_of(session, phone)
    return consent is None or (consent.consented_at is None and consent.opted_out_at is None)


def opt_out(session: Session, phone: str, via: str, now: datetime) -> SmsConsent:
    """Record an opt-out (回复TD退订): no caller SMS goes to this number again. The caller commits."""
    e164 = normalise_phone(phone) or phone
    consent = consent_of(session, e164)
    if consent is None:
        consent = SmsConsent(phone_hash=phone_lookup_hash(e164), phone=e164, source="opt_out")
        session.add(consent)
    if consent.opted_out_at is None:
        consent.opted_out_at, consent.opted_out_via = now, via
    for message in session.scalars(
        select(SmsMessage).where(
            SmsMessage.to_hash == consent.phone_hash,
            SmsMessage.status == "pending",
            SmsMessage.kind.in_(CALLER_KINDS),
        )
    ):
        message.status, message.error, message.updated_at = "cancelled", "opted out", now
    session.flush()
    return consent


# --- Sending ---------------------------------------------------------------------------------------


def queue(
    session: Session,
    kind: str,
    to: str,
    values: dict[str, Any],
    *,
    origin: str,
    now: datetime,
    expires_at: datetime | None = None,
) -> SmsMessage:
    """Store a templated message for `to` once per origin (the same origin returns the stored one).

    Raises:
        SmsNotConfigured: no template provider, or no template id for the kind.
        NoConsent: a caller's kind to a number without consent, or opted out.
    """
    existing = session.scalar(select(SmsMessage).where(SmsMessage.origin == origin))
    if existing is not None:
        return existing
    provider = template_provider(session)
    if provider is None or kind not in KINDS:
        raise SmsNotConfigured(kind)
    entry = configuration.templates(session, provider)[kind]
    if not entry.get("template_id"):
        raise SmsNotConfigured(kind)
    if kind in CALLER_KINDS and not may_text_caller(session, to):
        raise NoConsent(kind)
    message = SmsMessage(
        kind=kind,
        provider=provider,
        to=to,
        to_hash=phone_lookup_hash(to),
        template_id=entry["template_id"],
        params=[list(pair) for pair in ordered_values(entry, values)],
        origin=origin,
        status="pending",
        due_at=now,
        expires_at=expires_at,
        created_at=now,
    )
    session.add(message)
    session.flush()
    return message


def claim(session: Session, message_id: int, now: datetime) -> bool:
    """Mark a due pending message `sending` and commit, before the provider is asked; return whether we have it."""
    claimed = session.execute(
        update(SmsMessage)
        .where(SmsMessage.id == message_id, SmsMessage.status == "pending", SmsMessage.due_at <= now)
        .values(status="sending", attempts=SmsMessage.attempts + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    return claimed == 1


def deliver(session: Session, message_id: int, now: datetime) -> SmsMessage:
    """Send a claimed message through its provider and record the outcome (the caller commits)."""
    message = session.get(SmsMessage, message_id, populate_existing=True)
    if message.expires_at is not None and message.expires_at <= now:
        message.status, message.error, message.updated_at = "failed", "expired before it could be sent", now
        return message
    try:
        sent = configuration.build_provider(session, message.provider).send(
            TemplatedSms(message.to, message.template_id, [tuple(p) for p in message.params], f"sms:{message.id}")
        )
    except SmsSendError as exc:
        message.error = str(exc)[:300]
        retry_at = now + timedelta(seconds=5 * 2 ** (message.attempts - 1))
        in_time = message.expires_at is None or retry_at < message.expires_at
        if exc.maybe_done:
            message.status = "uncertain"
            log.error("SMS %s may or may not have been sent; not resent: %s", message.id, exc)
        elif exc.retryable and message.attempts < MAX_ATTEMPTS and in_time:
            message.status, message.due_at = "pending", retry_at
            log.warning("SMS %s not sent, will retry: %s", message.id, exc)
        else:
            message.status = "failed"
            log.error("SMS %s failed: %s", message.id, exc)
    else:
        message.status, message.provider_message_id, message.sent_at, message.error = (
            "sent",
            sent.message_id,
            now,
            None,
        )
    message.updated_at = now
    return message


def deliver_claimed(session: Session, message: SmsMessage, now: datetime) -> SmsMessage:
    """Send a pending message whose owner already claimed the send durably (an escalation attempt).

    Nothing is committed here: the owner commits the outcome with its own row.
    """
    if message.status != "pending":
        message.error = f"not sendable: {message.status}"
        return message
    message.status, message.attempts, message.updated_at = "sending", message.attempts + 1, now
    session.flush()
    return deliver(session, message.id, now)


def send(session: Session, message_id: int, now: datetime) -> SmsMessage:
    """Claim, send and record one message; commit. A message someone else holds is returned unchanged."""
    if claim(session, message_id, now):
        deliver(session, message_id, now)
        session.commit()
    return session.get(SmsMessage, message_id, populate_existing=True)


def send_to_caller(
    session: Session, kind: str, phone: str | None, values: dict[str, Any], origin: str, now: datetime
) -> SmsMessage | None:
    """Queue and send a caller's message when they consented and a template exists; None otherwise."""
    if not phone:
        return None
    try:
        message = queue(session, kind, phone, values, origin=origin, now=now)
    except (SmsNotConfigured, NoConsent) as reason:
        log.info("no %s SMS for %s: %s", kind, origin, type(reason).__name__)
        return None
    session.commit()
    return send(session, message.id, now)


def send_to_staff(
    session: Session, kind: str, phone: str, values: dict[str, Any], origin: str, now: datetime
) -> SmsMessage | None:
    """Queue and send a message to staff (no consent needed: their work); None when no template exists."""
    try:
        message = queue(session, kind, phone, values, origin=origin, now=now)
    except SmsNotConfigured:
        log.info("no %s template; %s not texted", kind, origin)
        return None
    session.commit()
    return send(session, message.id, now)


def text_staff(
    session: Session,
    phone_line: Any,
    kind: str,
    to: str,
    values: dict[str, Any],
    body: str,
    *,
    origin: str,
    now: datetime,
) -> str:
    """Text staff or a unit: the kind's template when the installation has a template provider, else `body`
    through the phone line (Twilio or the gateway). Return the provider's message id, "" while the outbox
    holds a throttled message for its retry. Either way the message is a row of the outbox, sent once per
    origin, whose delivery receipt is recorded.

    Raises:
        SmsNotConfigured: a template provider without a template for the kind.
        StaffSmsFailed: the template provider refused the message, or it may have gone (never resent).
        Exception: whatever the phone line raises.
    """
    if template_provider(session) is None:
        return text_through_line(session, phone_line, kind, to, body, origin=origin, now=now)
    message = queue(session, kind, to, values, origin=origin, now=now)
    session.commit()
    message = send(session, message.id, now)
    if message.status in ("sent", "delivered"):
        return message.provider_message_id or ""
    if message.status in ("pending", "sending"):
        return ""
    raise StaffSmsFailed(message.error or message.status)


def record_line_status(
    session: Session, message_id: int, sid: str, status: str, error: str | None, now: datetime
) -> SmsMessage | None:
    """Record the phone line's status callback of a free-text SMS (delivered, undelivered, failed); commit.

    None: not a line message, or another message's sid. `sent` and earlier statuses change nothing.
    """
    message = session.get(SmsMessage, message_id)
    if message is None or message.provider != LINE or (message.provider_message_id not in (None, sid)):
        return None
    if message.provider_message_id is None:
        message.provider_message_id = sid
    if status in ("delivered", "undelivered", "failed") and message.status in ("sending", "sent", "uncertain"):
        delivered = status == "delivered"
        message.status = "delivered" if delivered else "undelivered"
        message.delivered_at = now if delivered else None
        message.error = None if delivered else (error or status)[:300]
        message.updated_at = now
        signals.sms_delivery.send(
            None, session=session, origin=message.origin, status=message.status, error=message.error, now=now
        )
    session.commit()
    announce_test(message)
    return message


def cancel(session: Session, message_id: int, now: datetime) -> None:
    """Cancel a claimed message that must not go out after all; commit."""
    message = session.get(SmsMessage, message_id, populate_existing=True)
    message.status, message.error, message.updated_at = "cancelled", "no longer needed", now
    session.commit()


def retry_due(session: Session, now: datetime) -> int:
    """Settle messages a dead process left `sending` (uncertain), send due ones; return how many were tried."""
    for message in session.scalars(
        select(SmsMessage).where(SmsMessage.status == "sending", SmsMessage.updated_at <= now - STALE_AFTER)
    ):
        message.status, message.error, message.updated_at = "uncertain", "interrupted while sending", now
        log.warning("SMS %s was interrupted while sending; not resent", message.id)
    session.commit()
    due = session.scalars(
        select(SmsMessage.id)
        .where(
            SmsMessage.status == "pending",
            SmsMessage.due_at <= now,
            SmsMessage.origin.not_like(f"{OWNED_BY_ESCALATION}%"),
        )
        .order_by(SmsMessage.due_at)
        .limit(100)
    ).all()
    for message_id in due:
        send(session, message_id, now)
    return len(due)


# --- Reports and replies -------------------------------------------------------------------------


def record_report(
    session: Session, provider: str, provider_message_id: str, delivered: bool, error: str | None, now: datetime
) -> SmsMessage | None:
    """Record a delivery report; tell the message's owner (signals.sms_delivery). None: not ours."""
    message = session.scalar(
        select(SmsMessage).where(SmsMessage.provider == provider, SmsMessage.provider_message_id == provider_message_id)
    )
    if message is None:
        return None
    if message.status in ("sent", "uncertain"):
        message.status = "delivered" if delivered else "undelivered"
        message.delivered_at = now if delivered else None
        message.error = None if delivered else (error or "")[:300]
        message.updated_at = now
        signals.sms_delivery.send(
            None, session=session, origin=message.origin, status=message.status, error=message.error, now=now
        )
    session.commit()
    announce_test(message)
    return message


def announce_test(message: SmsMessage) -> None:
    """Tell the directory page of a test SMS's entry that its state changed (after the commit)."""
    origin = message.origin or ""
    if origin.startswith(DIRECTORY_TEST):
        push.directory_test_changed(":".join(origin.split(":")[1:3]))


def handle_inbound(
    session: Session, provider: str, message_key: str, from_number: str | None, body: str, now: datetime
) -> str:
    """Handle an inbound text once per provider message; return what it did (opt_out, survey, reply, ignored)."""
    key = f"{provider}:{message_key}"[:100]
    seen = session.scalar(select(SmsInbound).where(SmsInbound.message_key == key))
    if seen is not None:
        return seen.result
    phone = normalise_phone(from_number) if from_number else None
    text = (body or "").strip()
    result = "ignored"
    message_id = None
    if phone and text.upper().replace(" ", "") in OPT_OUT_WORDS:
        opt_out(session, phone, provider, now)
        result = "opt_out"
    elif phone and text in ("1", "2", "3", "4", "5") and (survey := _open_survey(session, phone, now)) is not None:
        signals.sms_survey_answered.send(None, session=session, origin=survey.origin, score=int(text), now=now)
        result, message_id = "survey", survey.id
    elif phone:
        answers = [
            reply
            for _receiver, reply in signals.sms_received.send(
                current_app._get_current_object(),  # type: ignore[attr-defined]
                message_sid=key,
                from_number=phone,
                body=text,
                templated=True,
            )
            if reply
        ]
        result = "reply" if answers else "ignored"
    try:
        session.add(
            SmsInbound(
                provider=provider,
                message_key=key,
                from_hash=phone_lookup_hash(phone) if phone else None,
                body=text,
                result=result,
                message_id=message_id,
                at=now,
            )
        )
        session.commit()
    except IntegrityError:
        session.rollback()  # the same push handled at the same moment elsewhere: its result stands
    return result


def _open_survey(session: Session, phone: str, now: datetime) -> SmsMessage | None:
    """Return the newest survey sent to this number in the last two days and not answered yet."""
    answered = select(SmsInbound.message_id).where(SmsInbound.result == "survey", SmsInbound.message_id.is_not(None))
    return session.scalar(
        select(SmsMessage)
        .where(
            SmsMessage.kind == "survey",
            SmsMessage.to_hash == phone_lookup_hash(phone),
            SmsMessage.status.in_(("sent", "delivered")),
            SmsMessage.sent_at >= now - SURVEY_WINDOW,
            SmsMessage.id.not_in(answered),
        )
        .order_by(SmsMessage.id.desc())
        .limit(1)
    )
