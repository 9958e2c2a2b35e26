"""The callback forms: an attempt's outcome, and the manager's schedule."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from hotline.callbacks.models import AttemptOutcome

OUTCOME_LABELS = {
    AttemptOutcome.REACHED.value: _l("Reached the caller"),
    AttemptOutcome.NO_ANSWER.value: _l("No answer"),
    AttemptOutcome.BUSY.value: _l("Busy"),
    AttemptOutcome.WRONG_NUMBER.value: _l("Wrong number"),
}


class OutcomeForm(FlaskForm):
    """What a dial came to. CSRF is checked for every post by hotline.access."""

    class Meta:
        csrf = False

    outcome = RadioField(_l("Outcome"), validators=[InputRequired(message=_l("Choose what the call came to."))])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.outcome.choices = list(OUTCOME_LABELS.items())


class ScheduleForm(FlaskForm):
    """The manager's deadlines and retry schedule."""

    class Meta:
        csrf = False

    deadline_minutes = IntegerField(
        _l("Deadline (minutes)"),
        validators=[InputRequired(message=_l("Give a whole number of minutes.")), NumberRange(min=1, max=10080)],
    )
    high_risk_deadline_minutes = IntegerField(
        _l("Deadline when the last contact was high risk (minutes)"),
        validators=[InputRequired(message=_l("Give a whole number of minutes.")), NumberRange(min=1, max=10080)],
    )
    retry_minutes = StringField(_l("Wait before each retry (minutes, separated by commas)"))
