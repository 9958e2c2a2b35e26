"""What the interpreter asks of the media: play prompts, collect digits, record, place legs.

The interpreter (`hotline.gateway.interpreter`) decides what happens on a call from its
TwiML; a `MediaBackend` makes it heard and reports what the party does. The simulated
backend (`media.simulated`) answers from scripts and a virtual clock, for the caller
simulator in the browser and the test suite; a SIP backend answers from real calls.

A backend that learns of a party's actions later (a browser, a SIP phone) returns
`WAIT_FOR_INPUT` from `collect_digits` and delivers the keys with `Network.press`
when they arrive; keys pressed while a prompt of the <Gather> plays stop the prompt
(`stop`) and are taken.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from hotline.gateway.interpreter.legs import CallLeg


class _WaitForInput:
    """Sentinel type: the party will answer this <Gather> later, through `Network.press`."""

    def __repr__(self) -> str:
        return "WAIT_FOR_INPUT"


WAIT_FOR_INPUT = _WaitForInput()
"""Answer a <Gather> with this to pause the call until `Network.press` delivers keys (or silence)."""

Keys = str | None | _WaitForInput
"""A party's answer to a <Gather>: the keys pressed, None for silence, or WAIT_FOR_INPUT."""


@dataclass(frozen=True)
class Prompt:
    """Something the party hears: a <Say> text, a <Play> URL or DTMF digits, a beep, hold music.

    `loop` repeats it (0: until something interrupts the call).
    """

    kind: str
    text: str = ""
    url: str = ""
    digits: str = ""
    language: str | None = None
    voice: str | None = None
    loop: int = 1


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


@dataclass(frozen=True)
class RecordingInput:
    """What a party does when a <Record> starts: speak for `seconds`, then press a key or hang up."""

    seconds: float = 5.0
    finish_key: str | None = "#"
    hang_up: bool = False


@dataclass(frozen=True)
class RecordingRequest:
    """What a <Record> asks of the media: where its sound goes and when it ends."""

    recording_sid: str
    max_length: float
    finish_on_key: str
    timeout: float


class Party(Protocol):
    """The person or phone at the far end of one call leg, as far as the interpreter needs to know.

    `answer` (answered, busy, no-answer, failed), `ring_seconds` and `talk_seconds` say how
    the party answers when the network rings it; `hangup_after_seconds` and
    `hangup_in_queue_after_rounds` plan a hang-up (None: only when it happens).
    """

    answer: str
    ring_seconds: float
    talk_seconds: float
    hangup_after_seconds: float | None
    hangup_in_queue_after_rounds: int | None


class MediaBackend(Protocol):
    """The media side of the gateway: what plays, collects digits, records and places legs."""

    def place_leg(self, address: str) -> Party:
        """Return the party that answers (or not) when the network rings a number or ``client:<identity>``."""

    def play(self, call: CallLeg, prompt: Prompt) -> float:
        """Start playing a prompt to the call's party; return how many seconds it lasts (inf: until stopped)."""

    def stop(self, call: CallLeg) -> None:
        """Stop what plays to the call's party (a key was pressed, the call moved on)."""

    def collect_digits(self, call: CallLeg, prompt: GatherPrompt) -> Keys:
        """Return the keys the party presses at this <Gather>, None for silence, or WAIT_FOR_INPUT."""

    def record(self, call: CallLeg, request: RecordingRequest) -> RecordingInput | _WaitForInput:
        """Record the party at a <Record>; return what was said (its length, how it ended).

        A live backend returns WAIT_FOR_INPUT and reports the end later with `Network.recorded`.
        """

    def bridge(self, call: CallLeg, other: CallLeg) -> None:
        """Connect two answered legs so that their parties hear each other (a <Dial> answered)."""

    def conference(
        self, call: CallLeg, conference_sid: str, muted: bool, coach: str | None = None, held: bool = False
    ) -> None:
        """Mix the call into a conference (again when it is muted or unmuted); leaving is `release` or the next verb.

        With `coach` (a participant's CallSid) only that participant hears this call. `held`: the call hears
        none of the room (a participant on hold hears its hold music only).
        """

    def release(self, call: CallLeg) -> None:
        """Let go of the call's media: the call has ended."""
