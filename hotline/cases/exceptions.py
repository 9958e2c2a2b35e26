"""Errors the case services raise; routes turn them into form errors, 4xx or flash messages."""

from __future__ import annotations


class CaseError(Exception):
    """Base class of every case error."""


class CaseNotFound(CaseError):
    """No case with that id."""


class CallNotFound(CaseError):
    """No call with that id."""


class FollowUpNotFound(CaseError):
    """No follow-up with that id, or it is not pending any more."""


class IntakeInvalid(CaseError):
    """The intake has errors; `errors` maps each field to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(", ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors


class CaseNotReady(CaseError):
    """The case cannot be closed yet; `reasons` says what is still open."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


class InvalidTransition(CaseError):
    """The case cannot move to that status from where it is."""


class MergeRefused(CaseError):
    """The two cases cannot be merged (the same case, or one already merged)."""


class NoCallbackConsent(CaseError):
    """The caller did not agree to be called back."""
