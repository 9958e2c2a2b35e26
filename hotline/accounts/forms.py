"""Account forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp

from hotline.accounts.services import MIN_PASSWORD_LENGTH
from hotline.vocabulary import Role, choices


class LoginForm(FlaskForm):
    """Username and password."""

    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(_l("Password"), validators=[DataRequired()])


class TokenForm(FlaskForm):
    """Name a new API token."""

    name = StringField(_l("Token name"), validators=[DataRequired(), Length(max=100)])


class PasswordForm(FlaskForm):
    """Change one's own password."""

    current = PasswordField(_l("Current password"), validators=[DataRequired()])
    new = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH)])
    confirm = PasswordField(
        _l("Repeat the new password"), validators=[EqualTo("new", message=_l("The passwords differ."))]
    )


class NewUserForm(FlaskForm):
    """An administrator creates an account."""

    username = StringField(
        _l("Username"),
        validators=[
            DataRequired(),
            Length(max=80),
            Regexp(r"^[A-Za-z0-9_.\-]+$", message=_l("Letters, digits, . _ - only.")),
        ],
    )
    display_name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    role = SelectField(_l("Role"), validators=[DataRequired()])
    password = PasswordField(_l("Initial password"), validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH)])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.role.choices = choices(Role)


class EditUserForm(FlaskForm):
    """An administrator changes an account's name, role or active flag."""

    display_name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    role = SelectField(_l("Role"), validators=[DataRequired()])
    active = BooleanField(_l("Active"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.role.choices = choices(Role)
