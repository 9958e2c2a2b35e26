"""The UI labels of the callback queue's values."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

LABELS: dict[str, Any] = {
    "missed": _l("Waited too long"),
    "abandoned": _l("Hung up in the queue"),
    "voicemail": _l("Voicemail"),
    "callback-requested": _l("Asked for a callback"),
    "return-call": _l("Return call"),
    "open": _l("Waiting for a worker"),
    "owned": _l("Being called back"),
    "closed": _l("Closed"),
    "reached": _l("Reached"),
    "no_answer": _l("No answer"),
    "busy": _l("Busy"),
    "wrong_number": _l("Wrong number"),
    "unreachable": _l("Not reached after the last attempt"),
}


def callback_label(value: str | None) -> str:
    """Return the label of a task kind, status or outcome (the value itself when unknown)."""
    if value is None:
        return ""
    return str(LABELS.get(value, value))
