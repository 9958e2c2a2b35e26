"""Workers' wishes for the automatic draft: prefer or avoid a weekday, a shift, or a shift on a weekday.

Wishes are soft: the automatic draft (hotline.rota.solver) honours them when every
hard rule allows, and a manager may still assign anyone anywhere. A worker keeps at
most one wish per (weekday, shift) pair; saving another for the same pair replaces it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.rota.exceptions import NotFound, RequestNotValid
from hotline.rota.models import RotaPreference, Shift, ShiftPatternSlot

PREFER, AVOID = 1, -1
MAX_WISHES = 20
"""Enough for a week of shifts; more would only blur what matters to the worker."""


def wishes_of(session: Session, user_id: int) -> list[RotaPreference]:
    """Return a worker's wishes: every-day wishes first, then by weekday and shift."""
    return list(
        session.scalars(
            select(RotaPreference)
            .where(RotaPreference.user_id == user_id)
            .order_by(RotaPreference.weekday.is_not(None), RotaPreference.weekday, RotaPreference.label)
        )
    )


def shift_labels(session: Session, now: datetime) -> list[str]:
    """Return the shift names a wish may name: the pattern's, and those of shifts from the last four weeks on."""
    pattern = select(ShiftPatternSlot.label)
    recent = select(Shift.label).where(Shift.starts_at >= now - timedelta(days=28))
    return sorted({label for label in session.scalars(pattern.union(recent)) if label})


def save_wish(
    session: Session, user_id: int, weekday: int | None, label: str | None, wish: int, now: datetime
) -> RotaPreference:
    """Record a worker's wish, replacing their earlier one for the same weekday and shift; return it.

    Raises:
        RequestNotValid: an unknown weekday, shift or wish, or too many wishes.
    """
    if weekday is not None and not 1 <= weekday <= 7:
        raise RequestNotValid(_("Choose a day of the week."))
    if wish not in (PREFER, AVOID):
        raise RequestNotValid(_("Choose whether you prefer or avoid it."))
    if label is not None and label not in shift_labels(session, now):
        raise RequestNotValid(_("There is no shift called %(label)s.", label=label))
    same = select(RotaPreference).where(
        RotaPreference.user_id == user_id,
        RotaPreference.weekday.is_(None) if weekday is None else RotaPreference.weekday == weekday,
        RotaPreference.label.is_(None) if label is None else RotaPreference.label == label,
    )
    existing = session.scalar(same)
    if existing is None:
        mine = select(func.count()).select_from(RotaPreference).where(RotaPreference.user_id == user_id)
        count = session.scalar(mine) or 0
        if count >= MAX_WISHES:
            raise RequestNotValid(_("You have %(count)d wishes already; remove one first.", count=count))
        existing = RotaPreference(user_id=user_id, weekday=weekday, label=label)
        session.add(existing)
    existing.wish = wish
    session.commit()
    return existing


def remove_wish(session: Session, user_id: int, wish_id: int) -> None:
    """Remove one of a worker's own wishes.

    Raises:
        NotFound: no such wish of this worker.
    """
    wish = session.get(RotaPreference, wish_id)
    if wish is None or wish.user_id != user_id:
        raise NotFound(f"wish {wish_id}")
    session.delete(wish)
    session.commit()
