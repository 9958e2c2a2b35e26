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
    """The password is too short."""
