"""The manager's wallboard thresholds form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField
from wtforms.validators import InputRequired, NumberRange

from hotline.wallboard.thresholds import LIMITS


def _field(label: object, name: str) -> IntegerField:
    low, high = LIMITS[name]
    return IntegerField(
        label,
        validators=[
            InputRequired(message=_l("Give a whole number.")),
            NumberRange(min=low, max=high, message=_l("Give a number between %(min)s and %(max)s.")),
        ],
    )


class ThresholdsForm(FlaskForm):
    """Where the wallboard turns red. CSRF is checked for every post by hotline.access."""

    class Meta:
        csrf = False

    longest_wait_seconds = _field(_l("Longest wait (seconds)"), "longest_wait_seconds")
    service_level_percent = _field(
        _l("Service level target (percent answered within the target time)"), "service_level_percent"
    )
    abandonment_percent = _field(_l("Abandonment rate (percent)"), "abandonment_percent")
    callbacks_overdue = _field(_l("Callbacks past their deadline"), "callbacks_overdue")
    offered_seconds = _field(_l("Ringing unanswered (seconds)"), "offered_seconds")
    on_call_minutes = _field(_l("On one call (minutes)"), "on_call_minutes")
    wrap_up_minutes = _field(_l("In wrap-up (minutes)"), "wrap_up_minutes")
    away_minutes = _field(_l("Away (minutes)"), "away_minutes")
