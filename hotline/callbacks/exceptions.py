"""What the callback queue refuses, as typed errors the routes turn into messages."""

from __future__ import annotations


class CallbackError(Exception):
    """Base of this package's errors."""


class TaskNotFound(CallbackError):
    """No such callback task."""


class TaskClosed(CallbackError):
    """The task is closed already."""


class TaskTaken(CallbackError):
    """Another worker owns the task."""


class NoNumber(CallbackError):
    """The task has no number to call (a voicemail from a withheld number)."""


class NoAttempt(CallbackError):
    """There is no dial of this task waiting for its outcome."""


class BadOutcome(CallbackError):
    """The outcome is not one of reached, no answer, busy, wrong number."""


class BadSchedule(CallbackError):
    """The retry schedule or deadline is out of range; `errors` maps field to message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(", ".join(errors))
        self.errors = errors
