"""Errors the escalation services raise; routes turn them into messages, 4xx or safe TwiML."""


class EscalationError(Exception):
    """Base class of this package's errors."""


class CaseNotFound(EscalationError):
    """No case with that id."""


class NoPolicy(EscalationError):
    """No active policy fits the reason and urgency."""


class NotAllowed(EscalationError):
    """The actor may not do this (a consent override needs a supervisor)."""


class OverrideReasonMissing(EscalationError):
    """A consent override needs a reason, which is logged."""


class ReferralNotFound(EscalationError):
    """No referral with that id (or the link does not point to one)."""


class ReferralExpired(EscalationError):
    """The referral was passed on or the chain ended; the answer changes nothing."""


class ReferralEnded(ReferralExpired):
    """The referral is over (done, declined, expired, its chain cancelled or its case closed): its link is dead."""


class AlreadyAnswered(EscalationError):
    """The referral was already answered; `status` says how."""

    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


class NotOwned(EscalationError):
    """Only an accepted or acknowledged referral can be closed with an outcome."""


class PolicyInvalid(EscalationError):
    """A policy has no step or a step has no target; `fields` says where."""

    def __init__(self, fields: dict[str, object]) -> None:
        super().__init__(", ".join(fields))
        self.fields = fields


class SettingsInvalid(EscalationError):
    """An escalation setting has a wrong value; `fields` maps the form field to the message."""

    def __init__(self, fields: dict[str, object]) -> None:
        super().__init__(", ".join(fields))
        self.fields = fields
