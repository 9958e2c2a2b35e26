"""Typed errors of the telephony services."""


class TelephonyServiceError(Exception):
    """Base class of the telephony services' errors."""


class CallNotFound(TelephonyServiceError):
    """No call has this CallSid."""


class CallNotWaiting(TelephonyServiceError):
    """The call is not waiting in the queue (it ended, or is already being connected)."""


class InvalidSettings(TelephonyServiceError):
    """A settings value cannot be used (a bad time range, an empty voice)."""


class PromptRefused(TelephonyServiceError):
    """An uploaded prompt cannot be used; `reason` is empty, too-large, type, unreadable or too-long."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PromptNotFound(TelephonyServiceError):
    """No prompt of the line has this name."""
