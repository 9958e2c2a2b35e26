"""The wallboard's labels."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

STATES: dict[str, Any] = {
    "available": _l("Available"),
    "offered": _l("Offered a call"),
    "on_call": _l("On a call"),
    "wrap_up": _l("Wrap-up"),
    "away": _l("Away"),
    "offline": _l("Offline"),
}
ALERTS: dict[str, Any] = {
    "long_wait": _l("A caller has waited longer than the threshold"),
    "service_level": _l("Today's service level is below the target"),
    "abandonment": _l("Today's abandonment rate is above the threshold"),
    "callbacks": _l("Callbacks are past their deadline"),
    "trunk_lost": _l("The phone line's trunk registration is lost: callers cannot reach the hotline"),
}
MODES: dict[str, Any] = {
    "listen": _l("Listen"),
    "coach": _l("Coach"),
    "barge": _l("Barge in"),
}


def wall_state_label(state: str) -> str:
    """Return the label of a wallboard state."""
    return str(STATES.get(state, state))


def alert_label(name: str) -> str:
    """Return the label of a crossed threshold."""
    return str(ALERTS.get(name, name))
