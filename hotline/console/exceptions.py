"""What console services refuse."""


class ConsoleError(Exception):
    """Base class of console errors."""


class NotYourCall(ConsoleError):
    """No such call, or the user may not work on it."""


class TransferRefused(ConsoleError):
    """The transfer cannot be made (nobody to take it, the call ended, no phone number)."""


class SoftphoneUnavailable(ConsoleError):
    """The browser softphone is not configured (no Twilio API key)."""
