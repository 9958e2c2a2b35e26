"""Manager forms: the audit-log filter and the retention periods."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional


class AuditFilterForm(FlaskForm):
    """Filter the audit log (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    actor_id = SelectField(_l("Who"), coerce=str, validators=[Optional()])
    action = SelectField(_l("What"), validators=[Optional()])
    target = StringField(_l("On what"), validators=[Optional(), Length(max=120)])
    address = StringField(_l("From where"), validators=[Optional(), Length(max=64)])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])


class RetentionForm(FlaskForm):
    """How long personal data is kept."""

    recordings_days = IntegerField(
        _l("Keep call recordings (days)"), validators=[InputRequired(), NumberRange(min=1, max=3650)]
    )
    case_caller_months = IntegerField(
        _l("Keep callers' names and numbers on closed cases (months)"),
        validators=[InputRequired(), NumberRange(min=1, max=120)],
    )
    call_number_months = IntegerField(
        _l("Keep caller numbers on calls (months)"), validators=[InputRequired(), NumberRange(min=1, max=120)]
    )
    draft_days = IntegerField(
        _l("Keep unsaved intake drafts (days)"), validators=[InputRequired(), NumberRange(min=1, max=365)]
    )
    legal_hold_days = IntegerField(
        _l("Legal hold: days a closed case is kept before a caller's erasure request may remove it"),
        validators=[InputRequired(), NumberRange(min=0, max=3650)],
    )
