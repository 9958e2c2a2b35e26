"""Directory forms: areas, stations, expert volunteers, organisations, CSV upload, target search."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    FloatField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
    ValidationError,
)
from wtforms.validators import URL, DataRequired, Length, NumberRange, Optional, Regexp

from hotline.privacy import PHONE_ERROR, entered_phone
from hotline.vocabulary import AreaLevel, ExpertSkill, OrganisationKind, Service, StationTier, VolunteerSkill, choices

CHANNEL_CHOICES = [
    ("sms", _l("SMS")),
    ("wecom", _l("WeCom group robot")),
    ("dingtalk", _l("DingTalk robot")),
    ("feishu", _l("Feishu bot")),
    ("voice", _l("Voice call")),
]
ROBOT_CHOICES = [
    ("wecom", _l("WeCom group robot")),
    ("dingtalk", _l("DingTalk robot")),
    ("feishu", _l("Feishu bot")),
    ("webhook", _l("Another address (WeCom's text format)")),
]
CHOICE_FIELDS = ("choice_1", "choice_2", "choice_3", "choice_4", "choice_5")
WEEKDAYS = [
    ("1", _l("Monday")),
    ("2", _l("Tuesday")),
    ("3", _l("Wednesday")),
    ("4", _l("Thursday")),
    ("5", _l("Friday")),
    ("6", _l("Saturday")),
    ("7", _l("Sunday")),
]


STATIC_CHOICES: dict[str, Any] = {
    **{name: (lambda: [("", "—"), *CHANNEL_CHOICES]) for name in CHOICE_FIELDS},
    "robot_kind": lambda: [("", "—"), *ROBOT_CHOICES],
    "level": lambda: choices(AreaLevel),
    "tier": lambda: choices(StationTier),
    "skills": lambda: choices(ExpertSkill),
    "duty_weekdays": lambda: WEEKDAYS,
    "services": lambda: choices(Service),
    "kind": lambda: choices(OrganisationKind),
    "available_weekdays": lambda: WEEKDAYS,
}


class DirectoryForm(FlaskForm):
    """A form whose fixed choices are set on each instance (wtforms wants no tuples at class level)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, make in STATIC_CHOICES.items():
            if name in self:
                self[name].choices = make()


def phone_number(_form: Any, field: Any) -> None:
    """Accept a phone number that parses; store it in E.164."""
    if not field.data:
        field.data = None
        return
    parsed = entered_phone(field.data)
    if parsed is None:
        raise ValidationError(PHONE_ERROR)
    field.data = parsed


def channel_choice(label: Any, description: Any = "") -> SelectField:
    """Return the select of one place in the order of preference."""
    return SelectField(label, default="", description=description)


class PreferencesMixin:
    """Channels in order of preference."""

    choice_1 = channel_choice(_l("Notify by, first choice"), _l("Leave empty to use what the urgency picks."))
    choice_2 = channel_choice(_l("Second choice"))
    choice_3 = channel_choice(_l("Third choice"))
    choice_4 = channel_choice(_l("Fourth choice"))
    choice_5 = channel_choice(_l("Fifth choice"))

    def preferences(self) -> list[str]:
        """Return the chosen channels in order, without gaps."""
        return [self[name].data for name in CHOICE_FIELDS if self[name].data]


class ChannelsMixin(PreferencesMixin):
    """How a responder is notified: channels in order of preference, and its group chat robot."""

    robot_kind = SelectField(_l("Group chat robot"), default="")
    webhook_url = StringField(
        _l("Group chat robot URL"),
        validators=[Optional(), URL(require_tld=False), Length(max=500)],
        description=_l("The robot's webhook address, as the group's robot settings show it."),
    )
    robot_secret = PasswordField(
        _l("Robot signing secret"),
        validators=[Optional(), Length(max=200)],
        description=_l("DingTalk: the secret starting with SEC; Feishu: the signature key. Leave empty to keep it."),
    )

    def validate_robot_kind(self, field: Any) -> None:
        """Refuse a channel chosen twice, a robot channel without that robot, a robot without its address."""
        chosen = self.preferences()
        if len(set(chosen)) != len(chosen):
            raise ValidationError(_l("Choose each channel once."))
        robots = {value for value in chosen if value in ("wecom", "dingtalk", "feishu")}
        if robots - {field.data}:
            raise ValidationError(_l("A robot channel in the order above needs a robot of that kind here."))
        if field.data and not self.webhook_url.data:
            raise ValidationError(_l("The robot's address is needed."))
        if self.webhook_url.data and not field.data:
            raise ValidationError(_l("Choose which robot this address belongs to."))


class AreaForm(DirectoryForm):
    """A division with its official code."""

    code = StringField(_l("Official code"), validators=[DataRequired(), Length(max=12)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    level = SelectField(_l("Level"))
    parent_id = SelectField(_l("Part of"), coerce=lambda v: int(v) if v else None, validators=[Optional()])
    latitude = FloatField(_l("Latitude"), validators=[Optional(), NumberRange(-90, 90)])
    longitude = FloatField(_l("Longitude"), validators=[Optional(), NumberRange(-180, 180)])

    def __init__(self, *args: Any, areas: list[tuple[int, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.parent_id.choices = [("", "—"), *areas]


class StationForm(ChannelsMixin, DirectoryForm):
    """A district centre, station or room."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    tier = SelectField(_l("Tier"))
    area_id = SelectField(_l("Located in"), coerce=lambda v: int(v) if v else None, validators=[Optional()])
    areas_covered = SelectMultipleField(_l("Areas covered"), coerce=int, validators=[Optional()])
    phone = StringField(_l("Phone"), validators=[phone_number])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    latitude = FloatField(_l("Latitude"), validators=[Optional(), NumberRange(-90, 90)])
    longitude = FloatField(_l("Longitude"), validators=[Optional(), NumberRange(-180, 180)])
    duty_contact_name = StringField(_l("Duty contact"), validators=[Optional(), Length(max=100)])
    duty_contact_phone = StringField(_l("Duty contact phone"), validators=[phone_number])
    active = BooleanField(_l("Active"), default=True)

    def __init__(self, *args: Any, areas: list[tuple[int, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.area_id.choices = [("", "—"), *areas]
        self.areas_covered.choices = list(areas)


class ExpertForm(ChannelsMixin, DirectoryForm):
    """An expert volunteer with skills and duty days."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    profession = StringField(_l("Profession"), validators=[DataRequired(), Length(max=200)])
    organisation = StringField(_l("Organisation"), validators=[Optional(), Length(max=200)])
    phone = StringField(_l("Phone"), validators=[phone_number])
    email = StringField(
        _l("Email"),
        validators=[Optional(), Regexp(r"^[^@\s]+@[^@\s]+$", message=_l("Not an email address.")), Length(max=200)],
    )
    skills = SelectMultipleField(_l("Skills"), validators=[Optional()])
    languages = StringField(_l("Languages"), description=_l("Codes separated by commas, e.g. zh, en"))
    duty_weekdays = SelectMultipleField(_l("Duty days"), coerce=int, validators=[Optional()])
    duty_start = TimeField(_l("Duty from"), validators=[Optional()])
    duty_end = TimeField(_l("Duty until"), validators=[Optional()])
    max_open_referrals = IntegerField(_l("Most open referrals"), default=3, validators=[NumberRange(0, 100)])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=2000)])
    active = BooleanField(_l("Active"), default=True)

    def validate_duty_end(self, field: Any) -> None:
        """Refuse a duty that ends before it starts."""
        if field.data and self.duty_start.data and field.data <= self.duty_start.data:
            raise ValidationError(_l("Duty must end after it starts."))


class OrganisationForm(ChannelsMixin, DirectoryForm):
    """A community, social organisation, charity resource or volunteer team."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Type"), default="social_organisation")
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)])
    services = SelectMultipleField(_l("Services offered"), validators=[Optional()])
    area_id = SelectField(_l("Area served"), coerce=lambda v: int(v) if v else None, validators=[Optional()])
    contact_name = StringField(_l("Contact"), validators=[Optional(), Length(max=100)])
    phone = StringField(_l("Phone"), validators=[phone_number])
    email = StringField(
        _l("Email"),
        validators=[Optional(), Regexp(r"^[^@\s]+@[^@\s]+$", message=_l("Not an email address.")), Length(max=200)],
    )
    website = StringField(_l("Website"), validators=[Optional(), URL(), Length(max=300)])
    active = BooleanField(_l("Active"), default=True)

    def __init__(self, *args: Any, areas: list[tuple[int, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.area_id.choices = [("", "—"), *areas]


class VolunteerForm(ChannelsMixin, DirectoryForm):
    """An ordinary community volunteer: skills, the areas served, when available."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    phone = StringField(
        _l("Phone"), validators=[phone_number], description=_l("Work orders reach the volunteer here by SMS.")
    )
    skills = SelectMultipleField(_l("Skills"), validators=[Optional()])
    area_ids = SelectMultipleField(_l("Areas served"), coerce=int, validators=[Optional()])
    available_weekdays = SelectMultipleField(
        _l("Available on"), coerce=int, validators=[Optional()], description=_l("None chosen: any day.")
    )
    available_from = TimeField(_l("Available from"), validators=[Optional()])
    available_until = TimeField(_l("Available until"), validators=[Optional()])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=2000)])
    active = BooleanField(_l("Active"), default=True, description=_l("Untick to deactivate: no new orders."))

    def __init__(self, *args: Any, areas: list[tuple[int, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.skills.choices = choices(VolunteerSkill)
        self.area_ids.choices = list(areas)

    def validate_available_until(self, field: Any) -> None:
        """Refuse availability that ends before it starts."""
        if field.data and self.available_from.data and field.data <= self.available_from.data:
            raise ValidationError(_l("Availability must end after it starts."))


class StaffChannelsForm(PreferencesMixin, DirectoryForm):
    """A staff member's channels in order; their robot channels are the team's robot, with them @-mentioned."""

    feishu_user_id = StringField(
        _l("Feishu user ID"),
        validators=[
            Optional(),
            Length(max=64),
            Regexp(r"^[A-Za-z0-9_-]+$", message=_l("Letters, digits, _ and - only (an open_id starts with ou_).")),
        ],
        description=_l("Feishu bots @-mention by user ID (open_id ou_…), not by mobile number."),
    )

    def validate_choice_1(self, _field: Any) -> None:
        """Refuse a channel chosen twice."""
        chosen = self.preferences()
        if len(set(chosen)) != len(chosen):
            raise ValidationError(_l("Choose each channel once."))


class UploadForm(FlaskForm):
    """A CSV (or HSDS zip) file to import."""

    file = FileField(_l("File"), validators=[FileRequired()])


class TargetSearchForm(FlaskForm):
    """Find whom to refer to."""

    class Meta:
        csrf = False

    area_id = SelectField(_l("Area"), coerce=lambda v: int(v) if v else None, validators=[Optional()])
    latitude = FloatField(_l("Latitude"), validators=[Optional(), NumberRange(-90, 90)])
    longitude = FloatField(_l("Longitude"), validators=[Optional(), NumberRange(-180, 180)])
    city = StringField(_l("City"), validators=[Optional(), Length(max=100)])
    skill = SelectField(_l("Skill"), validators=[Optional()])

    def __init__(self, *args: Any, areas: list[tuple[int, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.area_id.choices = [("", "—"), *areas]
        self.skill.choices = [("", "—"), *choices(ExpertSkill)]
