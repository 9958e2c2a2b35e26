"""Forms: the installation's SMS provider and its accounts; one message kind's template."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp

from hotline.sms.kinds import MAX_PARAMS

PROVIDER_LABELS = {
    "telephony": _l("The phone line's own SMS (Twilio or the gateway)"),
    "alibaba": _l("Alibaba Cloud SMS"),
    "tencent": _l("Tencent Cloud SMS"),
}


class ProviderForm(FlaskForm):
    """A manager picks the SMS provider and enters its accounts; a blank secret keeps the stored one."""

    provider = SelectField(
        _l("SMS provider"), choices=[SelectChoice(value, label) for value, label in PROVIDER_LABELS.items()]
    )
    alibaba_sign_name = StringField(_l("Approved signature"), validators=[Optional(), Length(max=40)])
    alibaba_access_key_id = StringField(_l("AccessKey ID"), validators=[Optional(), Length(max=100)])
    alibaba_secret = PasswordField(_l("AccessKey secret"), validators=[Optional(), Length(max=200)])
    tencent_sign_name = StringField(_l("Approved signature"), validators=[Optional(), Length(max=40)])
    tencent_sdk_app_id = StringField(
        _l("SmsSdkAppId"), validators=[Optional(), Regexp(r"^\d{6,20}$", message=_l("Digits only."))]
    )
    tencent_region = StringField(
        _l("Region"), validators=[Optional(), Regexp(r"^[a-z]{2}-[a-z]+$", message=_l("For example ap-guangzhou."))]
    )
    tencent_secret_id = StringField(_l("SecretId"), validators=[Optional(), Length(max=100)])
    tencent_secret = PasswordField(_l("SecretKey"), validators=[Optional(), Length(max=200)])

    def accounts(self) -> dict[str, dict[str, str]]:
        """Return the accounts as the configuration stores them."""
        return {
            "alibaba": {
                "sign_name": self.alibaba_sign_name.data or "",
                "access_key_id": self.alibaba_access_key_id.data or "",
                "secret": self.alibaba_secret.data or "",
            },
            "tencent": {
                "sign_name": self.tencent_sign_name.data or "",
                "sdk_app_id": self.tencent_sdk_app_id.data or "",
                "region": self.tencent_region.data or "",
                "secret_id": self.tencent_secret_id.data or "",
                "secret": self.tencent_secret.data or "",
            },
        }


class TemplateForm(FlaskForm):
    """One message kind's template with a provider: its id, parameters in order, text and declared limits."""

    template_id = StringField(
        _l("Template ID"),
        validators=[Optional(), Length(max=64), Regexp(r"^[A-Za-z0-9_]+$", message=_l("Letters, digits and _ only."))],
        description=_l("Alibaba: the TemplateCode (SMS_…); Tencent: the TemplateId (digits). Empty: not sent by SMS."),
    )
    params = StringField(
        _l("Parameters in the template's order"),
        validators=[Length(max=300)],
        description=_l("Names separated by commas, from the list below."),
    )
    text = TextAreaField(
        _l("Template text as registered"),
        validators=[InputRequired(), Length(max=500)],
        description=_l("Alibaba: variables as ${name}; Tencent: {1}, {2}… in parameter order."),
    )
    max_length = IntegerField(_l("Characters per parameter at most"), validators=[InputRequired(), NumberRange(1, 500)])
    max_params = IntegerField(_l("Parameters at most"), validators=[InputRequired(), NumberRange(0, MAX_PARAMS)])

    def entry(self) -> dict[str, object]:
        """Return the entry as the configuration stores it."""
        names = [name.strip() for name in (self.params.data or "").replace("，", ",").split(",") if name.strip()]
        return {
            "template_id": (self.template_id.data or "").strip(),
            "params": names,
            "text": (self.text.data or "").strip(),
            "max_length": self.max_length.data,
            "max_params": self.max_params.data,
        }
