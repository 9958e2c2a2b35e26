"""UI labels of the console's states, given to every template."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from hotline.vocabulary import Risk, Service

STATES = {
    "available": _l("Available"),
    "busy": _l("Busy"),
    "wrap_up": _l("Wrap-up"),
    "break": _l("Break"),
    "offline": _l("Offline"),
}
REASONS = {
    "missed_offer": _l("set to break after a call rang out unanswered"),
    "missed_call": _l("set to break after a call was not picked up"),
    "console_lost": _l("set offline when the console was closed"),
    "supervisor": _l("set by a supervisor"),
    "connect_failed": _l("the last call could not be connected"),
}
CALL_STATES = {
    "menu": _l("In the menu"),
    "waiting": _l("Waiting in the queue"),
    "offered": _l("Ringing"),
    "transferring": _l("Being transferred"),
    "in_progress": _l("Talking"),
    "wrap_up": _l("Wrap-up"),
}
TRANSFER_STATES = {
    "started": _l("in progress"),
    "worker_left": _l("you left; caller and expert talk on"),
    "taken": _l("taken by the colleague"),
    "failed": _l("not taken"),
    "completed": _l("the expert took the call"),
}
LEG_ROLES = {
    "caller": _l("Caller"),
    "worker": _l("Duty worker"),
    "expert": _l("Expert"),
    "supervisor": _l("Supervisor"),
}


def _from(table: dict[str, Any]) -> Any:
    return lambda value: str(table.get(value, value or ""))


def call_type_label(value: str) -> str:
    """Return the label of a call type (from the cases package's list)."""
    from hotline.cases.vocabulary import CALL_TYPES

    return str(CALL_TYPES.get(value, value))


def template_helpers() -> dict[str, Any]:
    """Return the console's template helpers."""
    return {
        "state_label": _from(STATES),
        "reason_label": _from(REASONS),
        "call_state_label": _from(CALL_STATES),
        "transfer_status_label": _from(TRANSFER_STATES),
        "leg_role_label": _from(LEG_ROLES),
        "call_type_label": call_type_label,
        "Service": Service,
        "Risk": Risk,
    }
