"""Errors raised by account services."""


class AccountError(Exception):
    """Base class for account errors."""


class UsernameTaken(AccountError):
    """Another account already uses this username."""


class UnknownUser(AccountError):
    """No account has this username or id."""


class InvalidRole(AccountError):
    """The role is not one of the known roles."""


class WeakPassword(AccountError):
    """The password policy refuses the password; `code` is a problem code of accounts.passwords."""

    def __init__(self, code: str) -> None:
        super().__init__(ENGLISH.get(code, code))
        self.code = code


ENGLISH = {
    "too_short": "at least 12 characters",
    "has_username": "must not contain the username",
    "too_simple": "too simple: repeated characters or a keyboard or alphabet sequence",
    "too_common": "too common: it (or a small variation of it) is among the most used passwords",
}
"""What the command line says (pages say it in the user's language: accounts.forms)."""
