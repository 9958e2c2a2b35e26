"""What console services refuse."""


class ConsoleError(Exception):
    """Base class of console errors."""


class NotYourCall(ConsoleError):
    """No such call, or the user may not work on it."""


class TransferRefused(ConsoleError):
    """The transfer cannot be made (nobody to take it, the call ended, no phone number)."""


class SoftphoneUnavailable(ConsoleError):
    """The browser softphone is not configured (no Twilio API key)."""


class NoRecording(ConsoleError):
    """No such call, or the call has no voicemail recording."""


class NotAllowedToListen(ConsoleError):
    """The user neither works on the call nor may take its callback."""


class RecordingUnavailable(ConsoleError):
    """The phone network could not deliver the recording's media now."""


class SipPhoneUnavailable(ConsoleError):
    """Workers' SIP phones are not configured (no registrar or no shared secret)."""


class LineRefused(ConsoleError):
    """Hold or mute cannot be done: the worker is not on this call (or it ended)."""
