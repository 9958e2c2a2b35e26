"""Errors raised by rota services; routes map them to a 4xx, a form error or a flash message."""

from __future__ import annotations

from typing import Any

from hotline.workdays.exceptions import CalendarNotConfirmed  # noqa: F401 (the calendar's refusal, caught by rota pages)


class RotaError(Exception):
    """Base class for rota errors."""


class NotFound(RotaError):
    """The shift, assignment, person or request does not exist."""


class CertificateProblem(RotaError):
    """The person has no certificate valid for the shift, so may not answer calls in it."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason
        """missing, expired or level."""


class AlreadyAssigned(RotaError):
    """The person already has a duty in this shift."""


class ShiftEnded(RotaError):
    """The shift is over; its record is history and is not edited."""


class InvalidShift(RotaError):
    """The shift's times are impossible (end before start, longer than a day), or its minimums do not add up."""


class ShiftPublished(RotaError):
    """The shift has been published; it cannot be deleted, only restaffed."""


class PublishBlocked(RotaError):
    """The draft has hard errors and no override reason was given."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(f"{len(errors)} hard errors")
        self.errors = errors


class RequestNotValid(RotaError):
    """Approving the swap or leave would break a hard rule, or the request is not pending."""

    def __init__(self, message: str, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or []


class NotEligible(RotaError):
    """The colleague may not take this shift (certificate, level, already on duty)."""
