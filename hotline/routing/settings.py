"""The router's settings: ring time, offer mode, wrap-up time and the console's grace period.

Stored in the `settings` table under `routing.options`, merged over defaults, so an
empty table gives a working router.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from hotline import audit
from hotline.settings import Setting

KEY = "routing.options"
OFFER_MODES = ("one", "all")


@dataclass
class RoutingSettings:
    """How the router offers calls and how presence behaves."""

    ring_seconds: int = 20
    offer_mode: str = "one"
    """one: offer to the best worker, then the next; all: ring every eligible worker at once."""
    wrap_up_seconds: int = 60
    console_grace_seconds: int = 60
    missed_offer_sets_break: bool = True
    """A worker who lets an offer ring out is set to break, so the next call does not wait on an empty desk."""


def load_routing_settings(session: Session) -> RoutingSettings:
    """Return the router's settings, defaults filled in."""
    row = session.get(Setting, KEY)
    settings = RoutingSettings()
    for name, value in ((row.value if row else None) or {}).items():
        if hasattr(settings, name) and value is not None:
            setattr(settings, name, type(getattr(settings, name))(value))
    if settings.offer_mode not in OFFER_MODES:
        settings.offer_mode = "one"
    return settings


def save_routing_settings(session: Session, settings: RoutingSettings, actor_id: int | None, now: datetime) -> None:
    """Store the router's settings and audit the change."""
    row = session.get(Setting, KEY) or Setting(key=KEY)
    row.value = asdict(settings)
    row.updated_at = now
    row.updated_by_id = actor_id
    session.add(row)
    audit.record(session, "settings.change", actor_id=actor_id, target=f"setting:{KEY}", detail={"to": row.value})
    session.commit()
