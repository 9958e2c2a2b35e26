"""Rota forms: publishing, generating weeks, the calendar, rules, workers, certificates, leave and swaps."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    FloatField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

from hotline.accounts.forms import PasswordPolicy
from hotline.privacy import PHONE_ERROR, entered_phone
from hotline.rota.models.calendar import DAY_KINDS
from hotline.rota.validation import STREAK_LOOKBACK_DAYS
from hotline.vocabulary import CertificationLevel, Role, choices
from hotline.vocabulary import skill_choices as vocabulary_skill_choices


def day_kind_choices() -> list[tuple[str, str]]:
    """Return the kinds of day with their labels."""
    names = {"working": _l("Working day"), "weekend": _l("Weekend"), "holiday": _l("Public holiday")}
    return [(kind, str(names[kind])) for kind in DAY_KINDS]


def skill_choices() -> list[tuple[str, str]]:
    """Return what a worker may be good at: the services and the expert skills."""
    return vocabulary_skill_choices()


class PublishForm(FlaskForm):
    """Publish the draft of a period, with an optional override reason."""

    date_from = DateField(_l("From"), validators=[DataRequired()])
    date_to = DateField(_l("To"), validators=[DataRequired()])
    override_reason = TextAreaField(
        _l("Reason for publishing despite errors"), validators=[Optional(), Length(max=1000)]
    )

    def validate_date_to(self, field: DateField) -> None:
        """The period must not end before it starts, nor last more than a year."""
        if self.date_from.data and field.data and not 0 <= (field.data - self.date_from.data).days <= 366:
            raise ValidationError(_l("The period must end after it starts and last at most a year."))


class GenerateForm(FlaskForm):
    """Generate draft weeks from the pattern."""

    monday = DateField(_l("First Monday"), validators=[DataRequired()])
    weeks = IntegerField(_l("Weeks"), default=4, validators=[DataRequired(), NumberRange(min=1, max=12)])

    def validate_monday(self, field: DateField) -> None:
        """Weeks start on a Monday."""
        if field.data and field.data.isoweekday() != 1:
            raise ValidationError(_l("Choose a Monday."))


class AutoDraftForm(FlaskForm):
    """Ask for an automatic draft of a period."""

    date_from = DateField(_l("From"), validators=[DataRequired()])
    date_to = DateField(_l("To"), validators=[DataRequired()])


class SlotForm(FlaskForm):
    """A shift of the weekly pattern."""

    label = StringField(_l("Shift name"), validators=[DataRequired(), Length(max=60)])
    start_time = TimeField(_l("Starts"), validators=[DataRequired()])
    end_time = TimeField(_l("Ends"), validators=[DataRequired()])
    day_kinds = SelectMultipleField(_l("On these kinds of day"), validators=[DataRequired()])
    min_duty_workers = IntegerField(_l("Duty workers"), default=2, validators=[NumberRange(min=0, max=20)])
    min_qualified = IntegerField(_l("Of whom intermediate or senior"), default=1, validators=[NumberRange(0, 20)])
    min_supervisors = IntegerField(_l("Supervisors on call"), default=1, validators=[NumberRange(min=0, max=5)])
    expert_duty = BooleanField(_l("Put expert volunteers on their duty days"), default=True)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.day_kinds.choices = day_kind_choices()


class ShiftForm(FlaskForm):
    """A one-off shift on a date (a per-date change)."""

    day = DateField(_l("Date"), validators=[DataRequired()])
    label = StringField(_l("Shift name"), validators=[DataRequired(), Length(max=60)])
    start_time = TimeField(_l("Starts"), validators=[DataRequired()])
    end_time = TimeField(_l("Ends"), validators=[DataRequired()])
    min_duty_workers = IntegerField(_l("Duty workers"), default=2, validators=[NumberRange(min=0, max=20)])
    min_qualified = IntegerField(_l("Of whom intermediate or senior"), default=1, validators=[NumberRange(0, 20)])
    min_supervisors = IntegerField(_l("Supervisors on call"), default=1, validators=[NumberRange(min=0, max=5)])


class CalendarDayForm(FlaskForm):
    """Change one day of the calendar."""

    day = DateField(_l("Date"), validators=[DataRequired()])
    kind = SelectField(_l("Kind of day"), validators=[DataRequired()])
    holiday_name = StringField(_l("Holiday name"), validators=[Optional(), Length(max=80)])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = day_kind_choices()


class ConfirmYearForm(FlaskForm):
    """Confirm a year's calendar; a year without any public holiday needs the box ticked."""

    no_holidays = BooleanField(_l("This year has no public holidays"))


class RulesForm(FlaskForm):
    """The rota's limits and targets."""

    max_hours_per_week = IntegerField(_l("Maximum hours per week"), validators=[NumberRange(min=1, max=80)])
    min_rest_hours = IntegerField(_l("Minimum rest between shifts (hours)"), validators=[NumberRange(min=0, max=24)])
    max_consecutive_days = IntegerField(
        _l("Most duty days in a row before a day of rest"), validators=[NumberRange(min=1, max=STREAK_LOOKBACK_DAYS)]
    )
    supervisor_min_level = SelectField(_l("Lowest level of a supervisor on call"))
    reminder_hours_before = IntegerField(_l("Reminder SMS before a shift (hours)"), validators=[NumberRange(0, 48)])
    weekend_weight = FloatField(_l("Weight of a weekend shift"), validators=[NumberRange(min=1, max=5)])
    holiday_weight = FloatField(_l("Weight of a holiday shift"), validators=[NumberRange(min=1, max=5)])
    target_answer_share = FloatField(_l("Share of calls to answer in time"), validators=[NumberRange(0.1, 0.99)])
    target_answer_seconds = IntegerField(_l("Answer within (seconds)"), validators=[NumberRange(min=5, max=600)])
    autodraft_time_limit_seconds = IntegerField(
        _l("Time limit of an automatic draft (seconds)"), validators=[NumberRange(min=2, max=300)]
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.supervisor_min_level.choices = choices(CertificationLevel)


def check_phone(form: FlaskForm, field: StringField) -> None:
    """Accept a phone number the hotline's region understands, stored in E.164."""
    if not field.data:
        return
    number = entered_phone(field.data, current_app.config.get("DEFAULT_REGION", "CN"))
    if number is None:
        raise ValidationError(PHONE_ERROR)
    field.data = number


class WorkerForm(FlaskForm):
    """A worker's details that matter to the rota."""

    display_name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    phone = StringField(_l("Mobile phone"), validators=[Optional(), Length(max=30), check_phone])
    skills = SelectMultipleField(_l("Skills"))
    max_hours = IntegerField(
        _l("Own maximum hours per week (part-time)"), validators=[Optional(), NumberRange(min=1, max=80)]
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.skills.choices = skill_choices()


class NewWorkerForm(WorkerForm):
    """A manager adds a worker: an account with the rota's details."""

    username = StringField(
        _l("Username"),
        validators=[
            DataRequired(),
            Length(max=80),
            Regexp(r"^[A-Za-z0-9_.\-]+$", message=_l("Letters, digits, . _ - only.")),
        ],
    )
    role = SelectField(_l("Role"))
    password = PasswordField(_l("Initial password"), validators=[DataRequired(), PasswordPolicy("username")])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.role.choices = [c for c in choices(Role) if c[0] in (Role.WORKER.value, Role.SUPERVISOR.value)]


class CertificateForm(FlaskForm):
    """A social-work certificate and its registration."""

    level = SelectField(_l("Level"))
    number = StringField(_l("Certificate number"), validators=[DataRequired(), Length(max=60)])
    issuing_body = StringField(_l("Issuing body"), validators=[DataRequired(), Length(max=200)])
    registered_on = DateField(_l("Registered on"), validators=[Optional()])
    valid_until = DateField(_l("Registration valid until"), validators=[DataRequired()])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.level.choices = choices(CertificationLevel)

    def validate_valid_until(self, field: DateField) -> None:
        """A registration ends after it starts."""
        if self.registered_on.data and field.data and field.data < self.registered_on.data:
            raise ValidationError(_l("The registration must end after it starts."))


class LeaveForm(FlaskForm):
    """A worker asks for leave."""

    starts_at = DateTimeLocalField(_l("From"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
    ends_at = DateTimeLocalField(_l("Until"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=1000)])


class SwapForm(FlaskForm):
    """A worker asks a colleague to take a shift, or to exchange shifts."""

    shift_id = SelectField(_l("My shift"), coerce=int)
    colleague_id = SelectField(_l("Colleague"), coerce=int)
    colleague_shift_id = IntegerField(_l("Colleague's shift to take in exchange (optional)"), validators=[Optional()])
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=1000)])


class DecisionForm(FlaskForm):
    """A manager approves or refuses a request."""

    approve = BooleanField(_l("Approve"))
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


WEEKDAYS = (_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"), _l("Saturday"), _l("Sunday"))
EVERY = ""


def describe_wish(wish: Any) -> str:
    """Describe a worker's wish in one line: "Tuesday · 上午班 · I would rather not"."""
    day = str(WEEKDAYS[wish.weekday - 1]) if wish.weekday else str(_l("Every day"))
    shift = wish.label or str(_l("every shift"))
    choice = _l("I would like to") if wish.wish > 0 else _l("I would rather not")
    return f"{day} · {shift} · {choice}"


class WishForm(FlaskForm):
    """A worker's wish for the automatic draft: prefer or avoid a weekday, a shift, or both."""

    weekday = SelectField(_l("Day"), default=EVERY)
    label = SelectField(_l("Shift"), default=EVERY)
    wish = SelectField(_l("Wish"), default="-1")

    def fill(self, labels: list[str]) -> WishForm:
        """Set the choices: the weekdays, the shift names in use, prefer or avoid."""
        self.weekday.choices = [(EVERY, str(_l("Every day")))] + [
            (str(number), str(name)) for number, name in enumerate(WEEKDAYS, start=1)
        ]
        self.label.choices = [(EVERY, str(_l("Every shift")))] + [(label, label) for label in labels]
        self.wish.choices = [("-1", str(_l("I would rather not"))), ("1", str(_l("I would like to")))]
        return self
