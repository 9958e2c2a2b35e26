"""UI labels of a call's direction, state and outcome (the stored values are Twilio's and the timeline's codes)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

DIRECTIONS: dict[str, Any] = {
    "inbound": _l("Incoming"),
    "outbound": _l("Outgoing"),
    "outbound-api": _l("Outgoing"),
    "outbound-dial": _l("Outgoing"),
}
STATUSES: dict[str, Any] = {
    "ringing": _l("Ringing"),
    "queued": _l("Waiting in the queue"),
    "connecting": _l("Connecting"),
    "in-progress": _l("Talking"),
    "completed": _l("Ended"),
    "busy": _l("Busy"),
    "failed": _l("Failed"),
    "no-answer": _l("No answer"),
    "canceled": _l("Cancelled"),
}
OUTCOMES: dict[str, Any] = {
    "answered": _l("Answered"),
    "abandoned": _l("Hung up in the queue"),
    "voicemail": _l("Left a voicemail"),
    "callback-requested": _l("Asked for a callback"),
    "closed-hours": _l("Called out of hours"),
    "missed": _l("Missed"),
}


def call_direction_label(value: str | None) -> str:
    """Return a call's direction in words."""
    return str(DIRECTIONS.get(value or "", value or ""))


def call_status_label(value: str | None) -> str:
    """Return a call's state in words."""
    return str(STATUSES.get(value or "", value or ""))


def call_outcome_label(outcome: str | None, status: str | None = None) -> str:
    """Return how a call ended in words (its state while it has no outcome yet)."""
    if outcome:
        return str(OUTCOMES.get(outcome, outcome))
    return call_status_label(status)


def template_helpers() -> dict[str, Any]:
    """Return the helpers every template may use."""
    return {
        "call_direction_label": call_direction_label,
        "call_status_label": call_status_label,
        "call_outcome_label": call_outcome_label,
    }
