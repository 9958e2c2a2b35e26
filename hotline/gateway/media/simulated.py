"""The simulated media backend: scripted parties on a virtual clock (tests), or a person in a browser.

Nothing is heard: a prompt lasts as long as `Timing` estimates, a party's keys and
recordings come from its `CallerScript`, and a script that answers `WAIT_FOR_INPUT`
waits for keys from the caller simulator's page (or a test) through `Network.press`.
"""

from __future__ import annotations

import dataclasses
import math
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hotline.gateway.media.backend import WAIT_FOR_INPUT, GatherPrompt, Keys, Prompt, RecordingInput, RecordingRequest

if TYPE_CHECKING:
    from hotline.gateway.interpreter.legs import CallLeg

__all__ = ["WAIT_FOR_INPUT", "CallerScript", "SimulatedMedia", "Timing"]


@dataclass
class CallerScript:
    """Script one party of a call: keypresses, recordings, when to hang up, how to answer when rung.

    `digits` answers successive <Gather>s in order: a string of keys, `None` for silence, or
    `WAIT_FOR_INPUT` to pause until the test (or a browser) calls `Call.press`. When the list
    runs out the party stays silent. `on_gather`, when given, is asked instead of `digits`.
    `answer`, `ring_seconds` and `talk_seconds` apply when the network rings this party
    (an outbound REST call, or a <Dial> to its number or client identity).
    """

    digits: list[Keys] = field(default_factory=list)
    on_gather: Callable[[GatherPrompt], Keys] | None = None
    recordings: list[RecordingInput] = field(default_factory=list)
    hangup_after_seconds: float | None = None
    hangup_in_queue_after_rounds: int | None = None
    answer: str = "answered"
    ring_seconds: float = 3.0
    talk_seconds: float = 30.0
    gathers_answered: int = field(default=0, init=False)
    recordings_made: int = field(default=0, init=False)

    def answer_gather(self, prompt: GatherPrompt) -> Keys:
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


def waits_for_a_person() -> CallerScript:
    """Return the script of a phone a person answers in the browser: it rings briefly and waits for keys."""
    return CallerScript(on_gather=lambda prompt: WAIT_FOR_INPUT, ring_seconds=2.0, talk_seconds=math.inf)


@dataclass
class Timing:
    """Virtual durations charged for what a caller hears and does."""

    say_seconds_per_char: float = 0.07
    say_seconds_per_wide_char: float = 0.25
    min_say_seconds: float = 0.5
    play_seconds: float = 5.0
    play_durations: dict[str, float] = field(default_factory=dict)
    digit_seconds: float = 0.3
    beep_seconds: float = 0.5
    hold_music_seconds: float = 30.0

    def say_seconds(self, text: str) -> float:
        """Estimate how long a <Say> of this text lasts (CJK characters are slower)."""
        wide = sum(1 for char in text if unicodedata.east_asian_width(char) in ("W", "F"))
        narrow = len(text) - wide
        estimate = wide * self.say_seconds_per_wide_char + narrow * self.say_seconds_per_char
        return max(self.min_say_seconds, estimate)

    def play_duration(self, url: str) -> float:
        """Return how long the audio at this URL plays."""
        return self.play_durations.get(url, self.play_seconds)


class SimulatedMedia:
    """Media from scripts: `callees` script the parties the network rings, by number or ``client:<identity>``."""

    def __init__(self, timing: Timing | None = None, default_callee: CallerScript | None = None) -> None:
        self.timing = timing or Timing()
        self.callees: dict[str, CallerScript] = {}
        self.default_callee = default_callee or CallerScript()

    def place_leg(self, address: str) -> CallerScript:
        """Return a fresh copy of the script for the party at this address."""
        return dataclasses.replace(self.callees.get(address, self.default_callee))

    def play(self, call: CallLeg, prompt: Prompt) -> float:
        """Return the virtual seconds the prompt lasts (nothing is heard)."""
        if prompt.loop == 0:
            return math.inf
        if prompt.kind == "say":
            seconds = self.timing.say_seconds(prompt.text)
        elif prompt.kind == "digits":
            seconds = len(prompt.digits) * self.timing.digit_seconds
        elif prompt.kind == "beep":
            seconds = self.timing.beep_seconds
        elif prompt.kind == "hold-music":
            seconds = self.timing.hold_music_seconds
        else:
            seconds = self.timing.play_duration(prompt.url)
        return seconds * prompt.loop

    def stop(self, call: CallLeg) -> None:
        """Nothing plays, so nothing stops."""

    def collect_digits(self, call: CallLeg, prompt: GatherPrompt) -> Keys:
        """Ask the party's script."""
        return call.caller.answer_gather(prompt)

    def record(self, call: CallLeg, request: RecordingRequest) -> RecordingInput:
        """Ask the party's script what it says."""
        return call.caller.next_recording()

    def bridge(self, call: CallLeg, other: CallLeg) -> None:
        """Nothing to connect: the transcript says who talks to whom."""

    def conference(
        self, call: CallLeg, conference_sid: str, muted: bool, coach: str | None = None, held: bool = False
    ) -> None:
        """Nothing to mix."""

    def release(self, call: CallLeg) -> None:
        """Nothing to release."""
