"""Template SMS rows: the outbox of messages (each sent at most once), callers' consent, and inbound texts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.clock import utcnow
from hotline.db import Base, code, intpk
from hotline.privacy import EncryptedJSON, EncryptedString


class SmsMessage(Base):
    """One templated SMS: queued, claimed (`sending`, committed before the request), then settled.

    A message is sent at most once: a claim is committed before the provider is
    asked, so a process that dies mid-request leaves it `sending`, which the retry
    job turns into `uncertain` (never resent). Only a provider's clear refusal
    that says "not sent, try later" (throttling) puts it back to `pending`.
    """

    __tablename__ = "sms_messages"
    __table_args__ = (
        Index("ix_sms_messages_status_due", "status", "due_at"),
        Index("ix_sms_messages_provider_message", "provider", "provider_message_id"),
    )

    id: Mapped[intpk]
    kind: Mapped[code]
    provider: Mapped[code]
    to: Mapped[str] = mapped_column(EncryptedString())
    to_hash: Mapped[str] = mapped_column(String(64), index=True)
    template_id: Mapped[str] = mapped_column(String(64))
    params: Mapped[list[Any]] = mapped_column(EncryptedJSON(), default=list)
    """[[name, value], …] in the template's order (values may name places or people: encrypted)."""
    origin: Mapped[str | None] = mapped_column(String(80), unique=True)
    """Who asked ("attempt:12", "callback:7:confirmation"): the same origin is never queued twice."""
    status: Mapped[code] = mapped_column(default="pending")
    """pending, sending, sent, delivered, undelivered, failed, uncertain, cancelled."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    """Not sent after this (an escalation step's deadline): the chain's next step takes over."""
    provider_message_id: Mapped[str | None] = mapped_column(String(80))
    error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    updated_at: Mapped[datetime | None]


class SmsConsent(Base):
    """A caller's consent to receive SMS, and their opt-out (回复TD退订), which holds for good."""

    __tablename__ = "sms_consents"

    id: Mapped[intpk]
    phone_hash: Mapped[str] = mapped_column(String(64), unique=True)
    phone: Mapped[str] = mapped_column(EncryptedString())
    source: Mapped[code]
    """intake or keypress: where the consent was given."""
    consented_at: Mapped[datetime | None]
    opted_out_at: Mapped[datetime | None]
    opted_out_via: Mapped[str | None] = mapped_column(String(40))


class SmsInbound(Base):
    """An inbound text (上行短信) handled once per provider message, with what it did."""

    __tablename__ = "sms_inbound"

    id: Mapped[intpk]
    provider: Mapped[code]
    message_key: Mapped[str] = mapped_column(String(100), unique=True)
    from_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    body: Mapped[str] = mapped_column(EncryptedString())
    result: Mapped[code]
    """reply (a referral's reply code), opt_out, survey, ignored."""
    message_id: Mapped[int | None] = mapped_column(ForeignKey("sms_messages.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
