"""Forms: escalating a case, answering a referral, editing a policy, the escalation settings."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from hotline.escalation.models import LABELS, ROBOT_CHANNELS, Channel, Reason, TargetKind, Urgency, escalation_label
from hotline.escalation.policies import CALLBACK_MINUTES, LINK_HOURS
from hotline.escalation.services import OUTCOMES
from hotline.vocabulary import skill_choices as vocabulary_skill_choices

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
    return [("", _l("— none —")), *vocabulary_skill_choices()]


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


# Each field of the settings form -> (setting key, name inside the setting).
SETTING_FIELDS: dict[str, tuple[str, str]] = {
    **{f"channels_{urgency.value}": ("escalation.channels", urgency.value) for urgency in Urgency},
    "restricted_countries": ("escalation.sms_rules", "restricted_countries"),
    "link_hours": ("escalation.link", "hours"),
    "team_webhook_url": ("escalation.team_webhook", "url"),
    "team_robot_kind": ("escalation.team_webhook", "kind"),
    "team_robot_secret": ("escalation.team_webhook", "secret"),
    "voice_language": ("escalation.voice", "language"),
    "voice_name": ("escalation.voice", "voice"),
    "callback_minutes": ("escalation.callback", "duty_team_minutes"),
}


class SettingsForm(FlaskForm):
    """A manager edits the escalation settings; each field is one value of one `escalation.*` setting."""

    channels_normal = SelectMultipleField(LABELS[Urgency.NORMAL], validators=[Optional()])
    channels_urgent = SelectMultipleField(LABELS[Urgency.URGENT], validators=[Optional()])
    channels_emergency = SelectMultipleField(LABELS[Urgency.EMERGENCY], validators=[Optional()])
    restricted_countries = StringField(
        _l("Countries where SMS cannot carry replies"),
        validators=[Length(max=200)],
        description=_l("Two-letter codes separated by commas, such as CN. Responders there also get a voice call."),
    )
    link_hours = IntegerField(
        _l("A responder link is valid for (hours)"), validators=[InputRequired(), NumberRange(*LINK_HOURS)]
    )
    team_webhook_url = StringField(
        _l("Team group chat webhook"),
        validators=[Length(max=500)],
        description=_l("The robot address of the team's group chat (WeCom, DingTalk, Feishu); leave empty for none."),
    )
    team_robot_kind = SelectField(_l("Team group chat robot"), default="")
    team_robot_secret = PasswordField(
        _l("Team robot signing secret"),
        validators=[Length(max=200)],
        description=_l("DingTalk: the secret starting with SEC; Feishu: the signature key. Leave empty to keep it."),
    )
    voice_language = StringField(_l("Language of the automated call"), validators=[InputRequired(), Length(max=20)])
    voice_name = StringField(_l("Voice of the automated call"), validators=[InputRequired(), Length(max=60)])
    callback_minutes = IntegerField(
        _l("Minutes the duty team has for a callback"),
        validators=[InputRequired(), NumberRange(*CALLBACK_MINUTES)],
        description=_l(
            "Used when the callback policy does not start with the duty team; otherwise its first step's wait applies."
        ),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        for urgency in Urgency:
            self[f"channels_{urgency.value}"].choices = own_choices(Channel)
        self.team_robot_kind.choices = [("", "—"), *[(c, escalation_label(c)) for c in ROBOT_CHANNELS]]

    @classmethod
    def from_settings(cls, settings: dict[str, dict[str, Any]]) -> SettingsForm:
        """Return the form filled with the stored settings (defaults filled in)."""
        data = {name: settings[key].get(value) for name, (key, value) in SETTING_FIELDS.items()}
        data["restricted_countries"] = ", ".join(data["restricted_countries"] or [])
        data["team_webhook_url"] = data["team_webhook_url"] or ""
        data["team_robot_kind"] = data["team_robot_kind"] or ""
        data["team_robot_secret"] = ""  # never shown again
        return cls(data=data)

    def setting_values(self) -> dict[str, dict[str, Any]]:
        """Return what was typed as setting key -> {name: value}, as the settings service takes it."""
        typed: dict[str, Any] = {name: self[name].data for name in SETTING_FIELDS}
        countries = (typed["restricted_countries"] or "").replace("，", ",").replace(" ", ",").split(",")
        typed["restricted_countries"] = [code.strip().upper() for code in countries if code.strip()]
        for name in ("team_webhook_url", "team_robot_kind", "team_robot_secret", "voice_language", "voice_name"):
            typed[name] = (typed[name] or "").strip() or None
        if typed["team_robot_kind"] in (None, "wecom", "webhook") or not typed["team_webhook_url"]:
            typed["team_robot_secret"] = ""  # no secret for these: clear one kept from before
        result: dict[str, dict[str, Any]] = {}
        for name, (key, value) in SETTING_FIELDS.items():
            if name == "team_robot_secret" and typed[name] is None:
                continue  # an empty secret field keeps the saved secret
            result.setdefault(key, {})[value] = typed[name] or None
        return result

    def add_errors(self, errors: dict[str, object]) -> None:
        """Show the service's errors ("<setting key>.<name>") next to fields that have none of their own yet."""
        by_setting = {f"{key}.{value}": name for name, (key, value) in SETTING_FIELDS.items()}
        for where, message in errors.items():
            target = self[by_setting[where]].errors if where in by_setting else self.form_errors
            if not target:
                target.append(str(message))


MESSAGE_STATES = {
    "waiting": _l("Waiting"),
    "sent": _l("Sent"),
    "delivered": _l("Delivered"),
    "failed": _l("Failed"),
    "uncertain": _l("Uncertain (never resent)"),
    "cancelled": _l("Cancelled"),
}
MESSAGE_CHANNELS = {"sms": _l("SMS"), "robot": _l("Chat robots")}
SENT_THROUGH = {
    "alibaba": _l("Alibaba Cloud SMS"),
    "tencent": _l("Tencent Cloud SMS"),
    "sms": _l("SMS (phone line)"),
    "wecom": _l("WeCom robot"),
    "dingtalk": _l("DingTalk robot"),
    "feishu": _l("Feishu bot"),
    "webhook": _l("Webhook"),
}


def any_of(labels: dict[str, Any]) -> list[SelectChoice]:
    """Return a filter's options: "Any" first, then each value with its label."""
    return [SelectChoice("", _l("Any")), *(SelectChoice(value, label) for value, label in labels.items())]


class MessageFilterForm(FlaskForm):
    """Filters of the managers' list of sent and failed messages (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    channel = SelectField(_l("Channel"), choices=lambda: any_of(MESSAGE_CHANNELS), validators=[Optional()])
    state = SelectField(_l("State"), choices=lambda: any_of(MESSAGE_STATES), validators=[Optional()])
    kind = SelectField(_l("Kind"), validators=[Optional()])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])

    def fill_kinds(self, kinds: dict[str, Any]) -> None:
        """Set the message kinds offered (name → label)."""
        self.kind.choices = any_of(kinds)
