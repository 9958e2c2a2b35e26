"""The phone line's trunk as the SIP gateways report it: each gateway's registration, lost or holding.

A gateway posts `Event=trunk-registration-lost` or `trunk-registration-restored` (signed, as
Twilio's callbacks are) each time its registration changes; the state is kept in the settings
table, one entry per gateway, and the wallboard shows an alert while any is lost.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from hotline.settings import Setting

STATE_KEY = "wallboard.trunk"
EVENTS = {"trunk-registration-lost": "lost", "trunk-registration-restored": "registered"}


def record_report(session: Session, params: Mapping[str, str], now: datetime) -> str | None:
    """Record a gateway's report of its trunk registration; return the state kept (None: not a trunk report).

    A report older (by the gateway's `Timestamp`) than the one kept for that gateway is ignored.
    """
    state = EVENTS.get(params.get("Event", ""))
    if state is None:
        return None
    gateway = params.get("Gateway", "")[:100]
    try:
        sent = float(params.get("Timestamp", ""))
    except ValueError:
        sent = now.timestamp()
    row = session.get(Setting, STATE_KEY)
    gateways: dict[str, Any] = dict(row.value.get("gateways", {})) if row is not None else {}
    kept = gateways.get(gateway)
    if kept is not None and kept.get("sent", 0) > sent:
        return str(kept["state"])
    gateways[gateway] = {
        "state": state,
        "since": now.isoformat(),
        "sent": sent,
        "status": params.get("StatusCode", "")[:10],
        "reason": params.get("Reason", "")[:200],
    }
    if row is None:
        session.add(Setting(key=STATE_KEY, value={"gateways": gateways}))
    else:
        row.value = {"gateways": gateways}
    session.commit()
    return state


def lost_gateways(session: Session) -> list[str]:
    """Return the gateways whose trunk registration is lost now, by name."""
    row = session.get(Setting, STATE_KEY)
    gateways = row.value.get("gateways", {}) if row is not None else {}
    return sorted(name for name, kept in gateways.items() if kept.get("state") == "lost")
