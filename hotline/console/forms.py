"""The intake form as the console shows it; the rules live in hotline.cases (validate_intake)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.widgets import CheckboxInput, ListWidget

from hotline.vocabulary import Risk, Service, TargetGroup, choices

CRISIS_CHECKLIST = {
    "asked_directly": _l("Asked directly about thoughts of suicide or harm"),
    "safe_now": _l("Found out where the caller is and whether they are safe now"),
    "means_removed": _l("Asked the caller to put away any means of harm"),
    "kept_on_line": _l("Kept the caller on the line"),
    "supervisor_informed": _l("Supervisor informed"),
    "emergency_called": _l("Emergency services called (110 / 120) when the danger is imminent"),
    "safety_plan": _l("Agreed a safety plan and someone to stay with the caller"),
}


class MultiCheckboxField(SelectMultipleField):
    """Several choices shown as checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class IntakeForm(FlaskForm):
    """What the worker records during a call with content.

    CSRF is checked for every post by hotline.access, so the form does not check it again.
    """

    class Meta:
        csrf = False

    call_type = HiddenField(default="content")
    caller_name = StringField(_l("Caller's name (leave empty if anonymous)"))
    caller_phone = StringField(_l("Number for a callback"))
    consent_callback = BooleanField(_l("The caller agrees to be called back"))
    consent_share = BooleanField(_l("The caller agrees that their details go to a station or volunteer"))
    consent_sms = BooleanField(_l("The caller agrees to SMS from the hotline (replying TD stops them for good)"))
    gender = SelectField(_l("Gender"))
    age_group = SelectField(_l("Age group"))
    area_id = HiddenField()
    target_groups = MultiCheckboxField(_l("Target groups"))
    services = MultiCheckboxField(_l("Services asked for"))
    risk = RadioField(_l("Risk"), default=Risk.NONE.value)
    crisis_checklist = MultiCheckboxField(_l("Crisis checklist"))
    summary = TextAreaField(_l("Summary"))
    actions_taken = TextAreaField(_l("Actions taken"))
    outcome = RadioField(_l("Outcome"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from hotline.cases.vocabulary import AGE_GROUPS, GENDERS, OUTCOMES

        super().__init__(*args, **kwargs)
        blank = [("", _l("Not asked"))]
        self.gender.choices = blank + [(k, v) for k, v in GENDERS.items()]
        self.age_group.choices = blank + [(k, v) for k, v in AGE_GROUPS.items()]
        self.outcome.choices = list(OUTCOMES.items())
        self.target_groups.choices = choices(TargetGroup)
        self.services.choices = choices(Service)
        self.risk.choices = choices(Risk)
        self.crisis_checklist.choices = list(CRISIS_CHECKLIST.items())


class TransferForm(FlaskForm):
    """Choose whom to transfer to."""

    class Meta:
        csrf = False

    worker_id = SelectField(_l("Duty worker"), coerce=int, validate_choice=False)
    expert_id = SelectField(_l("Expert on duty"), coerce=int, validate_choice=False)
