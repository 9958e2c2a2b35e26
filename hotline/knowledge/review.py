"""Keeping answers current: which articles are past their validity or unverified for too long; reminding owners."""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from hotline.clock import hotline_zone, local
from hotline.knowledge.models import Article
from hotline.sms import services as sms

log = logging.getLogger("hotline.knowledge")
EXPIRED = "expired"
UNVERIFIED = "unverified"
NOT_YET_VALID = "not_yet_valid"


def months_before(day: date, months: int) -> date:
    """Return the same day `months` months earlier (the month's last day when it has fewer days)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    for candidate in range(day.day, 0, -1):
        try:
            return date(year, month, candidate)
        except ValueError:
            continue
    raise ValueError(day)


def flags(article: Article, today: date, verify_months: int) -> list[str]:
    """Return what is wrong with a published article: expired, unverified for too long, not yet valid."""
    if article.status != "published":
        return []
    found = []
    if article.valid_until is not None and article.valid_until < today:
        found.append(EXPIRED)
    verified = local(article.verified_at).date() if article.verified_at else None
    if verified is None or verified < months_before(today, verify_months):
        found.append(UNVERIFIED)
    if article.valid_from is not None and article.valid_from > today:
        found.append(NOT_YET_VALID)
    return found


def stale_articles(session: Session, today: date, verify_months: int) -> list[Article]:
    """Return the published articles past their validity or unverified for `verify_months` months."""
    cutoff = datetime.combine(months_before(today, verify_months), time.min, tzinfo=hotline_zone())
    query = (
        select(Article)
        .where(
            Article.status == "published",
            or_(Article.valid_until < today, Article.verified_at.is_(None), Article.verified_at < cutoff),
        )
        .order_by(Article.valid_until, Article.verified_at)
    )
    return list(session.scalars(query))


def due_reminders(session: Session, today: date, verify_months: int, every: timedelta) -> list[Article]:
    """Return the stale articles whose owner was not reminded within `every`."""
    now = datetime.combine(today, time.min, tzinfo=hotline_zone())
    return [
        article
        for article in stale_articles(session, today, verify_months)
        if article.reminded_at is None or article.reminded_at <= now - every
    ]


REMIND_EVERY = timedelta(days=7)


def owner_phone(article: Article) -> str | None:
    """Return the number to remind: the owning station's duty contact (else its phone), or the organisation's."""
    if article.owner_station is not None:
        return article.owner_station.duty_contact_phone or article.owner_station.phone
    if article.owner_organisation is not None:
        return article.owner_organisation.phone
    return None


def remind_owners(session: Session, provider: Any, today: date, now: datetime, verify_months: int) -> int:
    """Send each stale article's owner an SMS with a link to propose an update, at most weekly; return how many.

    An article without an owner's number is only marked reminded (it stays flagged on the managers' pages).
    """
    from flask import current_app
    from flask_babel import force_locale
    from flask_babel import gettext as _

    from hotline import audit
    from hotline.knowledge.proposals import proposal_path

    sent = 0
    for article in due_reminders(session, today, verify_months, REMIND_EVERY):
        phone = owner_phone(article)
        delivered = False
        if phone:
            link = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + proposal_path(article)
            with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
                body = _(
                    "Hotline knowledge base: the answer “%(question)s” is due for review. "
                    "Please check it and propose any change: %(link)s",
                    question=article.question[:40],
                    link=link,
                )
            try:
                sms.text_staff(
                    session,
                    provider,
                    "knowledge_review",
                    phone,
                    {"question": article.question},
                    body,
                    origin=f"knowledge:{article.id}:{now:%Y%m%d}",
                    now=now,
                )
                delivered = True
                sent += 1
            except Exception as exc:  # noqa: BLE001  (any provider failure: try again next week)
                log.warning("knowledge reminder for article %s failed: %s", article.id, type(exc).__name__)
        article.reminded_at = now
        audit.record(session, "knowledge.reminder", None, f"knowledge:{article.id}", {"sms": delivered})
        session.commit()
    return sent
