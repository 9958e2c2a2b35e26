"""Errors of the SMS package."""


class SmsError(Exception):
    """Base of the SMS package's errors."""


class SmsNotConfigured(SmsError):
    """The installation's provider has no template for this kind of message (or no provider)."""


class NoConsent(SmsError):
    """The caller has not agreed to SMS, or has opted out (回复TD退订): nothing is sent."""


class InvalidTemplate(SmsError):
    """A template entry does not fit its declared limits; `errors` says why."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


class StaffSmsFailed(SmsError):
    """The template provider refused a staff message, or it may have gone (an uncertain send is never repeated)."""
