"""Typed errors of the telephony services."""


class TelephonyServiceError(Exception):
    """Base class of the telephony services' errors."""


class CallNotFound(TelephonyServiceError):
    """No call has this CallSid."""


class CallNotWaiting(TelephonyServiceError):
    """The call is not waiting in the queue (it ended, or is already being connected)."""


class InvalidSettings(TelephonyServiceError):
    """A settings value cannot be used (a bad time range, an empty voice)."""
