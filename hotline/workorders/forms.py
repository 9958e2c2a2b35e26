"""Forms of the station page, the supervisor's board, the return call and the urgency table."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateTimeLocalField, IntegerField, RadioField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from hotline.workorders.deadlines import UNITS, URGENCIES

UNIT_LABELS = {"minutes": _l("minutes"), "hours": _l("hours"), "working_days": _l("working days")}
URGENCY_LABELS = {"emergency": _l("Emergency"), "urgent": _l("Urgent"), "normal": _l("Normal")}


class NoteForm(FlaskForm):
    """A handling note."""

    note = TextAreaField(_l("Note"), validators=[DataRequired(), Length(max=4000)])


class ReasonForm(FlaskForm):
    """Returning an order: why it is not this unit's."""

    reason = TextAreaField(_l("Why it is returned"), validators=[DataRequired(), Length(max=4000)])


class ResultForm(FlaskForm):
    """The unit's result."""

    result = TextAreaField(_l("What was done (the result)"), validators=[DataRequired(), Length(max=4000)])


class ExtensionForm(FlaskForm):
    """More time: until when, and why."""

    until = DateTimeLocalField(_l("New deadline"), format="%Y-%m-%dT%H:%M", validators=[InputRequired()])
    reason = TextAreaField(_l("Why more time is needed"), validators=[DataRequired(), Length(max=4000)])


class AttachmentForm(FlaskForm):
    """A photo or document (JPEG, PNG or PDF, up to 5 MB)."""

    file = FileField(_l("Photo or document"), validators=[FileRequired()])


class RedispatchForm(FlaskForm):
    """Send a returned order to another unit."""

    unit = SelectField(_l("Send to"), validators=[DataRequired()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=4000)])


class DispatchForm(FlaskForm):
    """A supervisor dispatches an order for a case straight to a unit."""

    unit = SelectField(_l("Send to"), validators=[DataRequired()])
    urgency = SelectField(_l("Urgency"), validators=[DataRequired()], default="normal")
    reason = SelectField(_l("Reason"), validators=[DataRequired()])
    request = TextAreaField(_l("What is asked"), validators=[DataRequired(), Length(max=4000)])

    def __init__(self, *args: object, **kwargs: object) -> None:
        from hotline.escalation.forms import own_choices
        from hotline.escalation.models import Reason

        super().__init__(*args, **kwargs)
        self.urgency.choices = [(value, URGENCY_LABELS[value]) for value in ("normal", "urgent", "emergency")]
        self.reason.choices = [choice for choice in own_choices(Reason) if choice[0] != Reason.CALLBACK]


class SuperviseForm(FlaskForm):
    """Mark an order 督办."""

    note = TextAreaField(_l("Supervision note"), validators=[DataRequired(), Length(max=4000)])


class VerdictForm(FlaskForm):
    """The caller's verdict on the return call."""

    reached = RadioField(_l("Caller reached"), validators=[DataRequired()], default="yes")
    resolved = RadioField(_l("Resolved"), validators=[Optional()])
    satisfaction = IntegerField(_l("Satisfaction (1-5)"), validators=[Optional(), NumberRange(min=1, max=5)])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=4000)])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.reached.choices = [("yes", _l("Yes")), ("no", _l("No"))]
        self.resolved.choices = [("yes", _l("Resolved")), ("no", _l("Not resolved"))]


class LimitsForm(FlaskForm):
    """The urgency table: for each urgency, the sign-for and handling limits."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        for urgency in URGENCIES:
            for kind in ("sign", "handle"):
                getattr(self, f"{urgency}_{kind}_unit").choices = [(unit, UNIT_LABELS[unit]) for unit in UNITS]


for _urgency in URGENCIES:
    for _kind in ("sign", "handle"):
        setattr(
            LimitsForm,
            f"{_urgency}_{_kind}_amount",
            IntegerField(validators=[InputRequired(), NumberRange(min=1, max=10_080)]),
        )
        setattr(
            LimitsForm,
            f"{_urgency}_{_kind}_unit",
            SelectField(validators=[DataRequired()]),
        )
