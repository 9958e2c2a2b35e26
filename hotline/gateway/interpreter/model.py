"""Data shared by the interpreter: transcript events, effects and interruptions.

The interpreter executes each call as a generator. The generator yields *effects*
(`Sleep`, `Fetch`) to the network's loop, which performs them (advancing the virtual
clock, or making a signed HTTP request outside its lock) and resumes the generator.
Things that happen *to* a call from outside (a REST redirect, the caller hanging up,
the other leg of a bridge ending) are thrown into the generator as `CallInterrupt`s.
"""

from __future__ import annotations

from dataclasses import dataclass, field


def whole_seconds(seconds: float) -> int:
    """Return whole seconds, as Twilio reports durations, immune to float rounding (11.9999 is 12)."""
    return int(seconds + 1e-6)


ERROR_KINDS = frozenset({"error", "application-error"})
KEY_PRESS_SECONDS = 0.3
"""How long a scripted party takes to press each key."""
BUSY_SECONDS = 2.0
"""How long a busy signal plays before the network reports the call busy."""
MIN_WAIT_ROUND_SECONDS = 1.0
"""The shortest round of a queue's wait URL (a wait document that answers at once must not spin)."""
RECORDING_READY_SECONDS = 1.0
"""How long after a <Record> its recording is ready (the recording status callback)."""


@dataclass
class TranscriptEvent:
    """One thing that happened on a call, at a virtual time in seconds since the network started.

    Kinds: status, say, play, pause, beep, gather, awaiting-input, record, webhook (a TwiML
    request), callback (an asynchronous status or recording callback), enqueue, queue-wait,
    dequeue, dial, bridged, dial-result, conference, redirect, message, hangup, reject, error,
    application-error.
    """

    kind: str
    at: float
    text: str = ""
    url: str = ""
    method: str = ""
    params: dict[str, str] = field(default_factory=dict)
    status_code: int | None = None
    digits: str | None = None
    detail: dict[str, object] = field(default_factory=dict)

    @property
    def is_error(self) -> bool:
        """Tell whether this event records a failure."""
        return self.kind in ERROR_KINDS


@dataclass(frozen=True)
class Source:
    """Where the next TwiML comes from: a URL to request (with extra parameters) or inline TwiML."""

    url: str
    method: str = "POST"
    params: dict[str, str] = field(default_factory=dict)
    twiml: str | None = None
    is_fallback: bool = False


@dataclass(frozen=True)
class Sleep:
    """Effect: let `seconds` of virtual time pass; elective when only an outside event would end it."""

    seconds: float
    elective: bool = False


@dataclass(frozen=True)
class Fetch:
    """Effect: make a signed request to the application and resume with a `TwimlAnswer`."""

    url: str
    method: str
    params: dict[str, str]


class CallInterrupt(Exception):
    """Something outside the TwiML changed the call; thrown into its generator."""


class HungUp(CallInterrupt):
    """The call ended: `by` is caller, twiml, api, reject or application-error."""

    def __init__(self, by: str, call_sid: str) -> None:
        super().__init__(f"{call_sid} hung up by {by}")
        self.by = by
        self.call_sid = call_sid


class Redirected(CallInterrupt):
    """The call was sent to new TwiML through the REST API."""

    def __init__(self, source: Source) -> None:
        super().__init__(f"redirected to {source.url or 'inline TwiML'}")
        self.source = source


class LegEnded(CallInterrupt):
    """The other leg of a bridge hung up or was completed through the REST API."""

    def __init__(self, leg_sid: str) -> None:
        super().__init__(f"leg {leg_sid} ended")
        self.leg_sid = leg_sid


class LeftConference(CallInterrupt):
    """The call was taken out of its conference: removed through the REST API, or the conference ended."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"left the conference: {reason}")
        self.reason = reason


class LeftQueue(Exception):
    """A <Leave> in a wait document took the call out of its queue."""


class RunawayCallError(RuntimeError):
    """The network took more steps than allowed: a TwiML loop, or a test that never settles."""


class UnknownCallError(KeyError):
    """No call has this sid."""


class CallStateError(RuntimeError):
    """The call is not in a state that allows this operation."""


class NotInQueueError(LookupError):
    """The call is not waiting in that queue (or was already taken out of it)."""

    def __init__(self, message: str, *, already_dequeued: bool = False) -> None:
        super().__init__(message)
        self.already_dequeued = already_dequeued
