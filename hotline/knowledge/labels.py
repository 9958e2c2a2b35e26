"""UI labels of the knowledge base's states, flags and origins."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

STATUS = {
    "draft": _l("Draft"),
    "proposed": _l("Proposed"),
    "published": _l("Published"),
    "superseded": _l("Superseded"),
    "rejected": _l("Rejected"),
    "withdrawn": _l("Withdrawn"),
}
FLAGS = {
    "expired": _l("Past its validity"),
    "unverified": _l("Due for verification"),
    "not_yet_valid": _l("Not yet valid"),
}
ORIGINS = {
    "staff": _l("Hotline staff"),
    "station": _l("Station"),
    "organisation": _l("Social organisation"),
    "import": _l("Import"),
}


def status_label(value: str) -> str:
    """Return the label of an article's status or a version's state."""
    return str(STATUS.get(value, value))


def flag_label(value: str) -> str:
    """Return the label of a review flag."""
    return str(FLAGS.get(value, value))


def origin_label(value: str) -> str:
    """Return the label of where a version came from."""
    return str(ORIGINS.get(value, value))
