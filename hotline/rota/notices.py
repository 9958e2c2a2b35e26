"""Telling people about their rota: a console notice (a row, pushed live) and an SMS sent by the scheduler.

Through Alibaba or Tencent the SMS is a template: a shift reminder's (the shift and its start), or the
rota notice's (what it is about and the day).

A notice is written in the same transaction as the change it announces; it is
pushed to the person's console after the commit, and its SMS goes out from the
scheduler's outbox tick (`deliver_pending_sms`), which marks each message sent so
no tick sends it twice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline import push
from hotline.accounts.models import User
from hotline.rota.models import RotaNotice, Shift
from hotline.sms import services as sms
from hotline.sms.exceptions import SmsError
from hotline.sms.kinds import day_text, moment_text
from hotline.telephony.providers import TelephonyProvider
from hotline.vocabulary import Role

log = logging.getLogger("hotline.rota")
MAX_SMS_ATTEMPTS = 5
NOTICE_LABELS = {
    "rota_changed": _l("Rota changed"),
    "certificate_expiring": _l("Certificate to renew"),
    "certificate_expired": _l("Certificate lapsed"),
    "calendar_unconfirmed": _l("Calendar to confirm"),
}
"""What a rota notice's SMS says it is about (a template variable: keep it short, 6 characters on Tencent)."""


def add_notice(
    session: Session,
    user: User,
    kind: str,
    body: str,
    data: dict[str, Any] | None = None,
    dedupe_key: str | None = None,
    sms: bool = True,
) -> RotaNotice | None:
    """Add a notice for `user` (and queue its SMS); return None when `dedupe_key` was already used."""
    if dedupe_key and session.scalar(select(RotaNotice.id).where(RotaNotice.dedupe_key == dedupe_key)):
        return None
    to = user.phone if sms and user.phone else None
    notice = RotaNotice(
        user_id=user.id,
        kind=kind,
        body=body,
        data=data or {},
        dedupe_key=dedupe_key,
        sms_to=to,
        sms_status="pending" if to else "none",
    )
    session.add(notice)
    return notice


def managers(session: Session) -> list[User]:
    """Return the active managers (and administrators), who hear about rota problems."""
    return list(
        session.scalars(
            select(User).where(User.active, User.role.in_([Role.MANAGER.value, Role.ADMIN.value])).order_by(User.id)
        )
    )


def announce(notices: Iterable[RotaNotice | None]) -> None:
    """Push committed notices to their people's consoles."""
    for notice in notices:
        if notice is not None:
            push.rota_notice(
                notice.user_id, {"id": notice.id, "kind": notice.kind, "body": notice.body, "data": notice.data}
            )


def template_values(session: Session, notice: RotaNotice, now: datetime) -> tuple[str, dict[str, str]]:
    """Return the SMS template kind of a notice and its values: a shift reminder, else a rota notice."""
    if notice.kind == "shift_reminder":
        shift = session.get(Shift, (notice.data or {}).get("shift_id"))
        if shift is not None:
            return "shift_reminder", {"shift": shift.label, "time": moment_text(shift.starts_at)}
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        label = str(NOTICE_LABELS.get(notice.kind, NOTICE_LABELS["rota_changed"]))
    return "rota_notice", {"notice": label, "date": day_text(notice.created_at or now)}


def deliver_pending_sms(session: Session, provider: TelephonyProvider, now: datetime, limit: int = 50) -> int:
    """Send queued notice SMS (the installation's template provider, else the phone line); return how many went.

    Through a template provider a notice's message is queued once (origin `rota:<id>`) and sent once; a
    throttled one is left to the SMS outbox's retry (`queued`), a refused one is not tried again.
    """
    query = (
        select(RotaNotice)
        .where(RotaNotice.sms_status == "pending", RotaNotice.sms_attempts < MAX_SMS_ATTEMPTS)
        .order_by(RotaNotice.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    sent = 0
    for notice in session.scalars(query).all():
        notice.sms_attempts += 1
        kind, values = template_values(session, notice, now)
        try:
            notice.sms_id = sms.text_staff(
                session, provider, kind, notice.sms_to or "", values, notice.body, origin=f"rota:{notice.id}", now=now
            )
        except SmsError as exc:
            log.warning("SMS for notice %s not sent: %s", notice.id, exc)
            notice.sms_status = "failed"
        except Exception as exc:  # noqa: BLE001  (any phone-line failure is retried later)
            log.warning("SMS for notice %s failed: %s", notice.id, type(exc).__name__)
            if notice.sms_attempts >= MAX_SMS_ATTEMPTS:
                notice.sms_status = "failed"
        else:
            notice.sms_status = "sent" if notice.sms_id else "queued"
            notice.sms_id = notice.sms_id or None
            notice.sms_sent_at = now
            sent += 1
        session.commit()
    return sent


def notices_for(session: Session, user_id: int, limit: int = 30) -> list[RotaNotice]:
    """Return a person's latest notices."""
    return list(
        session.scalars(
            select(RotaNotice).where(RotaNotice.user_id == user_id).order_by(RotaNotice.id.desc()).limit(limit)
        )
    )


def mark_read(session: Session, user_id: int, now: datetime) -> int:
    """Mark all of a person's notices read; commit; return how many."""
    rows = session.scalars(select(RotaNotice).where(RotaNotice.user_id == user_id, RotaNotice.read_at.is_(None)))
    count = 0
    for notice in rows:
        notice.read_at = now
        count += 1
    session.commit()
    return count
