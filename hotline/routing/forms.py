"""The router's settings form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField
from wtforms.validators import InputRequired, NumberRange


class RoutingSettingsForm(FlaskForm):
    """Ring time, offer mode, wrap-up time, grace period."""

    ring_seconds = IntegerField(_l("Ring time (seconds)"), validators=[InputRequired(), NumberRange(5, 120)])
    offer_mode = SelectField(_l("Offer calls"))
    wrap_up_seconds = IntegerField(
        _l("Wrap-up time after a call (seconds)"), validators=[InputRequired(), NumberRange(0, 1800)]
    )
    console_grace_seconds = IntegerField(
        _l("A lost console goes offline after (seconds)"), validators=[InputRequired(), NumberRange(15, 3600)]
    )
    missed_offer_sets_break = BooleanField(_l("A worker who lets an offer ring out is set to break"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.offer_mode.choices = [
            ("one", _l("To one worker at a time")),
            ("all", _l("To every eligible worker at once")),
        ]
