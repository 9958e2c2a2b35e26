"""Account forms."""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, Field, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp, ValidationError

from hotline.accounts import passwords
from hotline.vocabulary import Role, choices


def password_message(code: str) -> str:
    """Return the policy's reason, in the user's language."""
    messages = {
        passwords.TOO_SHORT: _l("At least %(count)d characters.", count=passwords.MIN_LENGTH),
        passwords.HAS_USERNAME: _l("The password must not contain the username."),
        passwords.TOO_SIMPLE: _l("Too simple: avoid repeated characters and keyboard or alphabet sequences."),
        passwords.TOO_COMMON: _l(
            "Too common: this password, or a small variation of it, is among the most used. Choose a longer phrase."
        ),
    }
    return str(messages[code])


class PasswordPolicy:
    """Refuse passwords the policy refuses; the username comes from a field or a callable."""

    def __init__(self, username: str | Callable[[], str | None] | None = None) -> None:
        self.username = username

    def __call__(self, form: FlaskForm, field: Field) -> None:
        """Raise a validation error naming the policy's reason."""
        username = self.username
        if isinstance(username, str):
            username = form[username].data
        elif callable(username):
            username = username()
        problem = passwords.problem(field.data or "", username)
        if problem is not None:
            raise ValidationError(password_message(problem))


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
    new = PasswordField(_l("New password"), validators=[DataRequired(), PasswordPolicy(lambda: current_user.username)])
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
    password = PasswordField(_l("Initial password"), validators=[DataRequired(), PasswordPolicy("username")])

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


class CodeForm(FlaskForm):
    """A code from the authenticator app, or a recovery code."""

    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=20)])
