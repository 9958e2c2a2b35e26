"""Data shared by the TwiML runner: party scripts, transcript events, timing, effects and interruptions.

The runner executes each call as a generator. The generator yields *effects*
(`Sleep`, `Fetch`) to the network's loop, which performs them (advancing the virtual
clock, or making a signed HTTP request outside its lock) and resumes the generator.
Things that happen *to* a call from outside (a REST redirect, the caller hanging up,
the other leg of a bridge ending) are thrown into the generator as `CallInterrupt`s.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field


def whole_seconds(seconds: float) -> int:
    """Return whole seconds, as Twilio reports durations, immune to float rounding (11.9999 is 12)."""
    return int(seconds + 1e-6)


class _WaitForInput:
    """Sentinel type: the party will answer this <Gather> later, through `Call.press`."""

    def __repr__(self) -> str:
        return "WAIT_FOR_INPUT"


WAIT_FOR_INPUT = _WaitForInput()
"""Answer a <Gather> with this to pause the call until `Call.press` or `Call.stay_silent`."""

ERROR_KINDS = frozenset({"error", "application-error"})


@dataclass(frozen=True)
class RecordingInput:
    """What a party does when a <Record> starts: speak for `seconds`, then press a key or hang up."""

    seconds: float = 5.0
    finish_key: str | None = "#"
    hang_up: bool = False


@dataclass(frozen=True)
class GatherPrompt:
    """What a <Gather> asks: its spoken prompts and its input rules."""

    call_sid: str
    prompts: tuple[str, ...]
    num_digits: int | None
    timeout: float
    finish_on_key: str
    action: str
    in_queue: bool


@dataclass
class CallerScript:
    """Script one party of a call: keypresses, recordings, when to hang up, how to answer when rung.

    `digits` answers successive <Gather>s in order: a string of keys, `None` for silence, or
    `WAIT_FOR_INPUT` to pause until the test (or a browser) calls `Call.press`. When the list
    runs out the party stays silent. `on_gather`, when given, is asked instead of `digits`.
    `answer`, `ring_seconds` and `talk_seconds` apply when the network rings this party
    (an outbound REST call, or a <Dial> to its number or client identity).
    """

    digits: list[str | None | _WaitForInput] = field(default_factory=list)
    on_gather: Callable[[GatherPrompt], str | None | _WaitForInput] | None = None
    recordings: list[RecordingInput] = field(default_factory=list)
    hangup_after_seconds: float | None = None
    hangup_in_queue_after_rounds: int | None = None
    answer: str = "answered"
    ring_seconds: float = 3.0
    talk_seconds: float = 30.0
    gathers_answered: int = field(default=0, init=False)
    recordings_made: int = field(default=0, init=False)

    def answer_gather(self, prompt: GatherPrompt) -> str | None | _WaitForInput:
        """Return the keys pressed for this <Gather>, None for silence, or WAIT_FOR_INPUT."""
        index = self.gathers_answered
        self.gathers_answered += 1
        if self.on_gather is not None:
            return self.on_gather(prompt)
        return self.digits[index] if index < len(self.digits) else None

    def next_recording(self) -> RecordingInput:
        """Return what the party says at the next <Record>."""
        index = self.recordings_made
        self.recordings_made += 1
        return self.recordings[index] if index < len(self.recordings) else RecordingInput()


@dataclass
class Timing:
    """Virtual durations the runner charges for what a caller hears and does."""

    say_seconds_per_char: float = 0.07
    say_seconds_per_wide_char: float = 0.25
    min_say_seconds: float = 0.5
    play_seconds: float = 5.0
    play_durations: dict[str, float] = field(default_factory=dict)
    digit_seconds: float = 0.3
    beep_seconds: float = 0.5
    hold_music_seconds: float = 30.0
    min_wait_round_seconds: float = 1.0
    recording_ready_seconds: float = 1.0
    busy_seconds: float = 2.0

    def say_seconds(self, text: str) -> float:
        """Estimate how long a <Say> of this text lasts (CJK characters are slower)."""
        wide = sum(1 for char in text if unicodedata.east_asian_width(char) in ("W", "F"))
        narrow = len(text) - wide
        estimate = wide * self.say_seconds_per_wide_char + narrow * self.say_seconds_per_char
        return max(self.min_say_seconds, estimate)

    def play_duration(self, url: str) -> float:
        """Return how long the audio at this URL plays."""
        return self.play_durations.get(url, self.play_seconds)


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
