"""The knowledge base's scheduled work: remind owners of articles due for review (daily)."""

from __future__ import annotations


def review_tick() -> None:
    """Remind the owners of articles past their validity or unverified for the review period."""
    from hotline.clock import local, utcnow
    from hotline.extensions import db
    from hotline.knowledge import review, services
    from hotline.telephony.providers import get_provider

    now = utcnow()
    review.remind_owners(db.session, get_provider(), local(now).date(), now, services.verify_months(db.session))
