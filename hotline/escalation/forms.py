"""Forms: escalating a case, answering a referral, editing a policy."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from hotline.escalation.models import Reason, TargetKind, Urgency, escalation_label
from hotline.escalation.services import OUTCOMES
from hotline.vocabulary import ExpertSkill, Service, choices

OUTCOME_LABELS = {
    "resolved": _l("Resolved"),
    "followed_up": _l("Followed up with the caller"),
    "referred_on": _l("Referred on"),
    "unreachable": _l("Could not reach the caller"),
    "could_not_help": _l("Could not help"),
}


def own_choices(enum: type) -> list[tuple[str, str]]:
    """Return (value, label) pairs of one of this package's enums."""
    return [(member.value, escalation_label(member)) for member in enum]


def skill_choices() -> list[tuple[str, str]]:
    """Return the skills and services a step or an escalation may ask for, with "none" first."""
    return [("", _l("— none —")), *choices(ExpertSkill), *choices(Service)]


class EscalateForm(FlaskForm):
    """A worker escalates a case."""

    reason = SelectField(_l("Reason"), validators=[DataRequired()])
    skill = SelectField(_l("Skill needed"), validators=[Optional()])
    urgency = SelectField(_l("Urgency"), validators=[DataRequired()], default=Urgency.NORMAL.value)
    note = TextAreaField(
        _l("What is asked"),
        validators=[DataRequired(), Length(max=500)],
        description=_l("Goes to the responders: write what they should do, without the caller's name or number."),
    )
    consent_override = BooleanField(_l("Share the caller's details although they did not consent"))
    override_reason = TextAreaField(_l("Reason for the override (logged)"), validators=[Length(max=500)])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.reason.choices = [c for c in own_choices(Reason) if c[0] != Reason.CALLBACK]
        self.skill.choices = skill_choices()
        self.urgency.choices = own_choices(Urgency)


class AnswerForm(FlaskForm):
    """Accept or decline (with an optional note)."""

    note = TextAreaField(_l("Note (optional)"), validators=[Length(max=500)])


class OutcomeForm(FlaskForm):
    """Close an accepted referral with its outcome."""

    outcome = SelectField(_l("Outcome"), validators=[DataRequired()])
    note = TextAreaField(_l("Outcome notes"), validators=[Length(max=2000)])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.outcome.choices = [(value, OUTCOME_LABELS[value]) for value in OUTCOMES]


class CancelForm(FlaskForm):
    """A supervisor stops a chain."""

    why = StringField(_l("Why"), validators=[DataRequired(), Length(max=300)])


class StepForm(Form):
    """One step: notify these targets, wait N minutes, optionally repeat."""

    targets = SelectMultipleField(_l("Notify"), validators=[Optional()])
    skill = SelectField(_l("Skill or service"), validators=[Optional()])
    wait_minutes = IntegerField(_l("Wait (minutes)"), validators=[Optional(), NumberRange(min=0, max=10080)])
    repeat = IntegerField(_l("Repeat"), validators=[Optional(), NumberRange(min=0, max=10)])
    urgency = SelectField(_l("Channels by urgency"), validators=[Optional()])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.targets.choices = own_choices(TargetKind)
        self.skill.choices = skill_choices()
        self.urgency.choices = [("", _l("as the escalation"))] + own_choices(Urgency)


class PolicyForm(FlaskForm):
    """A manager edits a policy: name, reason, urgency and up to eight steps."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    reason = SelectField(_l("Reason"), validators=[DataRequired()])
    urgency = SelectField(_l("Urgency"), validators=[DataRequired()])
    active = BooleanField(_l("Active"), default=True)
    steps = FieldList(FormField(StepForm), min_entries=8, max_entries=8)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.reason.choices = own_choices(Reason)
        self.urgency.choices = [("any", _l("Any urgency"))] + own_choices(Urgency)

    def step_values(self) -> list[dict[str, object]]:
        """Return the filled-in steps (rows without targets are ignored)."""
        return [
            {
                "targets": entry.targets.data,
                "skill": entry.skill.data or None,
                "wait_minutes": entry.wait_minutes.data or 0,
                "repeat": entry.repeat.data or 0,
                "urgency": entry.urgency.data or None,
            }
            for entry in self.steps
            if entry.targets.data
        ]
