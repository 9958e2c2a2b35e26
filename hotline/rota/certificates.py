"""Whether a person's certificate lets them take an answering duty in a shift, and why not."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from hotline.accounts.models import Certification, User
from hotline.rota.models import ANSWERING_DUTIES, SUPERVISOR
from hotline.vocabulary import CertificationLevel, label

LEVELS = list(CertificationLevel)
QUALIFIED_LEVELS = (CertificationLevel.INTERMEDIATE.value, CertificationLevel.SENIOR.value)
"""Intermediate or senior: every shift needs at least one such duty worker."""


def level_rank(level: str | None) -> int:
    """Return a level's rank (assistant 0 … senior 2; -1 for none)."""
    try:
        return LEVELS.index(CertificationLevel(level)) if level else -1
    except ValueError:
        return -1


def shift_days(starts_at: datetime, ends_at: datetime, zone: ZoneInfo) -> list[date]:
    """Return the local dates a shift touches (two when it crosses midnight)."""
    first = starts_at.astimezone(zone).date()
    last = (ends_at - timedelta(microseconds=1)).astimezone(zone).date()
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def valid_certificate(certificates: list[Certification], days: list[date]) -> Certification | None:
    """Return the highest certificate valid on every one of `days`."""
    valid = [cert for cert in certificates if all(cert.is_valid_on(day) for day in days)]
    return max(valid, key=lambda cert: level_rank(cert.level), default=None)


def certificate_problem(
    user: User, duty: str, starts_at: datetime, ends_at: datetime, zone: ZoneInfo, supervisor_min_level: str
) -> tuple[str, str] | None:
    """Return (reason, message) when `user` may not take `duty` in the shift, else None.

    reason is missing, expired or level; experts need no certificate.
    """
    if duty not in ANSWERING_DUTIES:
        return None
    days = shift_days(starts_at, ends_at, zone)
    cert = valid_certificate(list(user.certifications), days)
    name = user.display_name
    if cert is None:
        lapsed = [c for c in user.certifications if c.valid_until < days[-1]]
        if lapsed:
            until = max(c.valid_until for c in lapsed)
            return "expired", _("%(name)s's certificate expired on %(date)s.", name=name, date=until.isoformat())
        return "missing", _("%(name)s has no valid certificate on record for %(date)s.", name=name, date=days[0])
    if duty == SUPERVISOR and level_rank(cert.level) < level_rank(supervisor_min_level):
        return "level", _(
            "A supervisor on call must be at least a %(level)s; %(name)s is a %(actual)s.",
            level=label(supervisor_min_level, CertificationLevel),
            name=name,
            actual=label(cert.level, CertificationLevel),
        )
    return None
