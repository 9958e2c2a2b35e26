"""Case forms: search, notes, assignment, status, closing, merging, follow-ups and return calls."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, DateTimeLocalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from hotline.cases.vocabulary import (
    CONFIRMED_OUTCOMES,
    FOLLOW_UP_KINDS,
    FOLLOW_UP_OUTCOMES,
    PROBLEM_SOLVED,
    STATUSES,
)
from hotline.privacy import PHONE_ERROR, entered_phone
from hotline.vocabulary import Service, TargetGroup, choices


def pairs(table: dict[str, object], blank: object | None = None) -> list[tuple[str, object]]:
    """Return select choices from a code table, with an optional blank first."""
    items = [(code, label) for code, label in table.items()]
    return ([("", blank)] if blank is not None else []) + items


def typed_phone(_form: Any, field: Any) -> None:
    """Refuse a phone number that is not valid (letters, too short), keeping what was typed."""
    if field.data and entered_phone(field.data, current_app.config.get("DEFAULT_REGION", "CN")) is None:
        raise ValidationError(PHONE_ERROR)


class SearchForm(FlaskForm):
    """Filters of the case list (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    phone = StringField(_l("Caller number"), validators=[Optional(), Length(max=40), typed_phone])
    reference = StringField(_l("Reference"), validators=[Optional(), Length(max=30)])
    area_id = SelectField(_l("Area"), coerce=str, validators=[Optional()])
    service = SelectField(_l("Service"), validators=[Optional()])
    target_group = SelectField(_l("Target group"), validators=[Optional()])
    status = SelectField(_l("Status"), validators=[Optional()])
    worker_id = SelectField(_l("Assigned to"), coerce=str, validators=[Optional()])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])

    def fill_choices(self, areas: list[tuple[str, str]], workers: list[tuple[str, str]]) -> None:
        """Set the select options."""
        self.area_id.choices = [("", _l("Any"))] + areas
        self.service.choices = [("", _l("Any"))] + choices(Service)
        self.target_group.choices = [("", _l("Any"))] + choices(TargetGroup)
        self.status.choices = pairs(STATUSES, _l("Any"))
        self.worker_id.choices = [("", _l("Anyone"))] + workers


class NoteForm(FlaskForm):
    """A note on a case."""

    body = TextAreaField(_l("Note"), validators=[DataRequired(), Length(max=4000)])


class AssignForm(FlaskForm):
    """Give the case to someone."""

    assignee_id = SelectField(_l("Assign to"), coerce=str)


class StatusForm(FlaskForm):
    """Move an open case along."""

    status = SelectField(_l("Status"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.status.choices = pairs({k: v for k, v in STATUSES.items() if k in ("open", "in_progress", "referred")})


class CloseForm(FlaskForm):
    """Confirm the outcome and close the case."""

    confirmed_outcome = SelectField(_l("Confirmed outcome"), validate_choice=False)
    note = TextAreaField(_l("How the outcome was confirmed"), validators=[Optional(), Length(max=2000)])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.confirmed_outcome.choices = pairs(CONFIRMED_OUTCOMES, _l("Choose…"))


class ReopenForm(FlaskForm):
    """Reopen a closed case."""

    reason = StringField(_l("Why"), validators=[DataRequired(), Length(max=300)])


class MergeForm(FlaskForm):
    """Merge a duplicate into this case."""

    duplicate = StringField(_l("Reference of the duplicate"), validators=[DataRequired(), Length(max=30)])


class FollowUpForm(FlaskForm):
    """Schedule a callback or a return call."""

    kind = SelectField(_l("Kind"))
    due_at = DateTimeLocalField(_l("When"), format="%Y-%m-%dT%H:%M", validators=[InputRequired()])
    assignee_id = SelectField(_l("Who calls"), coerce=str)
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = pairs(FOLLOW_UP_KINDS)


class FollowUpDoneForm(FlaskForm):
    """Record what became of a follow-up."""

    outcome = SelectField(_l("Outcome"))
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.outcome.choices = pairs(FOLLOW_UP_OUTCOMES)


class ReturnCallForm(FlaskForm):
    """What the caller said on the return call (回访)."""

    reached = BooleanField(_l("The caller was reached"), default=True)
    problem_solved = SelectField(_l("Is the problem solved?"))
    satisfaction = IntegerField(_l("Satisfaction (1-5)"), validators=[Optional(), NumberRange(min=1, max=5)])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
    follow_up_id = IntegerField(validators=[Optional()])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.problem_solved.choices = pairs(PROBLEM_SOLVED, _l("Not asked"))


class BreakGlassForm(FlaskForm):
    """Why someone without need-to-know opens a case (audited, shown to the supervisors)."""

    reason = TextAreaField(_l("Why do you need this case?"), validators=[DataRequired(), Length(min=5, max=500)])
    next = StringField(validators=[Optional(), Length(max=300)])


class SubjectForm(FlaskForm):
    """A caller's request about their data: their number, and who asked."""

    phone = StringField(_l("Caller number"), validators=[DataRequired(), Length(max=40), typed_phone])
    requested_by = StringField(
        _l("Who asks (the caller, or who for them)"), validators=[DataRequired(), Length(max=200)]
    )


class EraseForm(SubjectForm):
    """Erase what may be erased, once confirmed."""

    confirm = BooleanField(
        _l("I have checked the person's identity; erase what may be erased"), validators=[DataRequired()]
    )
