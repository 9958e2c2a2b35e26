"""The SIP media backend: the interpreter's calls heard and answered on real SIP calls.

An INVITE the line admits becomes an inbound call of the gateway's network (`dial_in`),
its party a `SipParty` holding the SIP leg. Each call's own thread relays what the caller
does (keys, hanging up) to the network; the network's loop asks this backend to play,
bridge and release, which only queue work for the PJSIP thread and return at once.
"""

from __future__ import annotations

import contextlib
import logging
import math
import queue
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from hotline.gateway.interpreter.calls import APPLICATION_ERROR
from hotline.gateway.interpreter.model import CallStateError, UnknownCallError
from hotline.gateway.media.backend import WAIT_FOR_INPUT, GatherPrompt, Keys, Prompt, RecordingInput, RecordingRequest
from hotline.gateway.sip.apology import ApologyCopy
from hotline.gateway.sip.audio import wav_seconds
from hotline.gateway.sip.leg import CallLeg as SipLeg
from hotline.gateway.sip.line import SipLine
from hotline.gateway.sip.prompts import Prompts
from hotline.gateway.sip.settings import SipSettings

if TYPE_CHECKING:
    from hotline.gateway.interpreter.legs import CallLeg
    from hotline.gateway.interpreter.network import Network

log = logging.getLogger(__name__)

# SIP final statuses of an INVITE we sent, as Twilio's call statuses.
APOLOGY = "非常抱歉，热线系统暂时出现故障。"
FALLBACK_RING_SECONDS = 30.0
SILENCE_LEVEL = 8  # the bridge's level (0-255) under which the caller counts as silent
SILENCE_POLL_SECONDS = 0.1
BUSY_CODES = frozenset({486, 600})
NO_ANSWER_CODES = frozenset({408, 480, 487, 603})


class SipParty:
    """A party on a real SIP phone; `answer` moves from "ringing" as the phone answers or refuses."""

    live = True
    hangup_after_seconds: float | None = None
    hangup_in_queue_after_rounds: int | None = None

    def __init__(self, leg: SipLeg | None, answer: str = "ringing") -> None:
        self.leg = leg
        self.answer = answer
        self.ring_seconds = 0.0
        self.talk_seconds = math.inf
        self.answered_sip = False  # the interpreter answered the call and the 200 OK went out


@dataclass
class LiveRecording:
    """A <Record> in progress on a SIP leg: it ends at a finishing key, a hang-up or its limit."""

    path: Path
    request: RecordingRequest
    done: threading.Event = field(default_factory=threading.Event)
    key: str | None = None
    hung_up: bool = False


class SipMedia:
    """Real calls on a SIP line; `attach` it to the network before `open`."""

    def __init__(self, settings: SipSettings, prompts: Prompts) -> None:
        self.settings = settings
        self.prompts = prompts
        self.apology: ApologyCopy | None = None  # the station's apology, copied in advance (SipGateway sets it)
        self.line = SipLine(settings, self._take_call)
        self.network: Network | None = None
        self._rooms: dict[str, dict[str, bool]] = {}  # conference sid -> call sid -> muted
        self._coaches: dict[str, dict[str, str]] = {}  # conference sid -> coaching call sid -> coached call sid
        self._held: dict[str, set[str]] = {}  # conference sid -> call sids on hold
        self._recordings: dict[str, LiveRecording] = {}  # call sid -> its <Record> in progress
        self.recordings_dir = prompts.cache_dir / "recordings"
        self.recordings_dir.mkdir(parents=True, exist_ok=True)

    def attach(self, network: Network) -> None:
        """Give the backend the network whose calls it carries."""
        self.network = network

    def open(self) -> None:
        """Listen for SIP."""
        self.line.start()

    def close(self) -> None:
        """Hang up every call and stop listening."""
        self.line.stop()

    # The caller's side: one thread per admitted INVITE.

    def _take_call(self, leg: SipLeg) -> None:
        assert self.network is not None, "attach the network first"
        leg.ring()
        call = self.network.dial_in(leg.caller, leg.called, SipParty(leg, answer="answered"))
        log.info("call %s from %s (%s)", call.sid, leg.caller, leg.sip_call_id)
        self._relay(leg, call.sid)

    def _relay(self, leg: SipLeg, call_sid: str) -> None:
        """Hand the caller's keys to the network until the call ends, then tell it who hung up."""
        network = self.network
        while leg.live:
            try:
                digit, _method = leg.signals.digits.get(timeout=0.5)
            except queue.Empty:
                continue
            recording = self._recordings.get(call_sid)
            if recording is not None:
                if digit in recording.request.finish_on_key:
                    recording.key = digit
                    recording.done.set()
                continue
            with contextlib.suppress(CallStateError, UnknownCallError):
                network.press(call_sid, digit)  # a key outside a <Gather> is dropped, as on Twilio
        recording = self._recordings.get(call_sid)
        if recording is not None:  # the recording is kept: its thread reports the hang-up
            recording.hung_up = True
            recording.done.set()
            return
        with contextlib.suppress(UnknownCallError):
            network.hang_up(call_sid)

    # The network's side: called from its loop; nothing here waits for PJSIP.

    def place_leg(self, address: str) -> SipParty:
        """Ring a worker's phone (``client:<identity>``), a SIP URI or a number through the trunk."""
        party = SipParty(None)
        try:
            party.leg = self.line.place_call(self.uri_for(address))
        except Exception:
            log.exception("cannot ring %s", address)
            party.answer = "failed"
            return party
        threading.Thread(target=self._watch_leg, args=(party,), name="sip-leg", daemon=True).start()
        return party

    def uri_for(self, address: str) -> str:
        """The SIP URI that rings an address of the TwiML (<Client>, <Sip>, <Number>)."""
        if address.startswith(("sip:", "sips:")):
            return address
        if address.startswith("client:"):
            return self.settings.client_uri.format(identity=address.removeprefix("client:"))
        return self.settings.number_uri.format(number=address)

    def _watch_leg(self, party: SipParty) -> None:
        """Report a rung phone answering or refusing, and hanging up once answered."""
        leg = party.leg
        signals = leg.signals
        while not signals.confirmed.wait(0.5):
            if signals.ended.is_set():
                code = signals.status_code
                party.answer = "busy" if code in BUSY_CODES else "no-answer" if code in NO_ANSWER_CODES else "failed"
                self._changed(party)
                return
        party.answer = "answered"
        self._changed(party)
        signals.ended.wait()
        sid = self._sid_of(party)
        if sid:
            with contextlib.suppress(UnknownCallError):
                self.network.hang_up(sid)

    def _changed(self, party: SipParty) -> None:
        sid = self._sid_of(party)
        if sid:
            self.network.party_changed(sid)

    def _sid_of(self, party: SipParty) -> str | None:
        with self.network.lock:
            return next((sid for sid, call in self.network.calls.items() if call.caller is party), None)

    def play(self, call: CallLeg, prompt: Prompt) -> float:
        """Start a prompt on the call's SIP leg; return how long it lasts (inf when it loops forever)."""
        leg = self._answer_if_due(call)
        if prompt.kind == "say" and prompt.text == APPLICATION_ERROR:
            path = self._apology()
            seconds = wav_seconds(path)
            if leg is not None:
                leg.start_playing(path)
            return seconds
        path, seconds = self.prompts.render(prompt)
        if prompt.loop != 1 or prompt.kind == "hold-music":
            if leg is not None:
                leg.start_playing(path, loop=True)
            return math.inf if prompt.loop == 0 else seconds * max(prompt.loop, 1)
        if leg is not None:
            leg.start_playing(path)
        return seconds

    def stop(self, call: CallLeg) -> None:
        """Stop what plays to the call."""
        leg = _leg(call)
        if leg is not None:
            leg.stop_playing()

    def collect_digits(self, call: CallLeg, prompt: GatherPrompt) -> Keys:
        """Keys come from the phone as they are pressed (`Network.press`)."""
        self._answer_if_due(call)
        return WAIT_FOR_INPUT

    def record(self, call: CallLeg, request: RecordingRequest) -> RecordingInput | object:
        """Start recording the caller to a WAV file; the end is reported with `Network.recorded`."""
        leg = self._answer_if_due(call)
        if leg is None:
            return RecordingInput(seconds=0.0, finish_key=None)
        recording = LiveRecording(self.recordings_dir / f"{request.recording_sid}.wav", request)
        self._recordings[call.sid] = recording
        leg.stop_playing()
        leg.start_recording(recording.path)
        threading.Thread(target=self._finish_recording, args=(call.sid, leg, recording), daemon=True).start()
        return WAIT_FOR_INPUT

    def _finish_recording(self, call_sid: str, leg: SipLeg, recording: LiveRecording) -> None:
        self._wait_for_end(leg, recording)
        seconds = leg.stop_recording(recording.path)
        self._recordings.pop(call_sid, None)
        spoken = RecordingInput(seconds=seconds, finish_key=recording.key, hang_up=recording.hung_up)
        with contextlib.suppress(UnknownCallError):
            self.network.recorded(call_sid, spoken, str(recording.path))

    @staticmethod
    def _wait_for_end(leg: SipLeg, recording: LiveRecording) -> None:
        """Wait for a key or a hang-up, `maxLength`, or `timeout` seconds of silence (0: no silence end)."""
        request = recording.request
        last_sound = started = time.monotonic()
        while not recording.done.wait(SILENCE_POLL_SECONDS):
            now = time.monotonic()
            if now - started >= request.max_length:
                return
            if leg.received_level() >= SILENCE_LEVEL:
                last_sound = now
            elif request.timeout and now - last_sound >= request.timeout:
                return

    def bridge(self, call: CallLeg, other: CallLeg) -> None:
        """Let the two parties hear each other."""
        first, second = self._answer_if_due(call), _leg(other)
        if first is not None and second is not None:
            first.bridge_soon(second)

    def conference(
        self, call: CallLeg, conference_sid: str, muted: bool, coach: str | None = None, held: bool = False
    ) -> None:
        """Mix the call into a room: all hear every unmuted participant but themselves; a coach, only its coached.

        A held participant hears none of the room (only what plays to it: the hold music).
        """
        self._answer_if_due(call)
        room = self._rooms.setdefault(conference_sid, {})
        room[call.sid] = muted
        coaches = self._coaches.setdefault(conference_sid, {})
        if coach:
            coaches[call.sid] = coach
        else:
            coaches.pop(call.sid, None)
        on_hold = self._held.setdefault(conference_sid, set())
        if held:
            on_hold.add(call.sid)
        else:
            on_hold.discard(call.sid)
        legs = {sid: _leg(self.network.calls[sid]) for sid in room if sid in self.network.calls}
        self.line.loop.submit(lambda: _mix(legs, audio_routes(list(legs), dict(room), set(on_hold), dict(coaches))))

    def release(self, call: CallLeg) -> None:
        """End the SIP leg: BYE when answered, 486 busy or 603 declined for a rejected call."""
        for room in self._rooms.values():
            room.pop(call.sid, None)
        for coaches in self._coaches.values():
            coaches.pop(call.sid, None)
        for on_hold in self._held.values():
            on_hold.discard(call.sid)
        leg = _leg(call)
        if leg is None:
            return
        status = 0
        if call.direction == "inbound" and call.answered_at is None:
            status = 486 if call.status == "busy" else 603
        elif call.hung_up_by == "application-error" and self.settings.fallback and leg.live:
            threading.Thread(target=self._put_through, args=(leg,), name="sip-fallback", daemon=True).start()
            return
        leg.hangup_soon(status)

    def _apology(self) -> Path:
        """The station's apology (the copy kept in advance), else GATEWAY_APOLOGY_WAV, else a spoken Mandarin one."""
        copy = self.apology.current() if self.apology is not None else None
        if copy is not None:
            return copy
        if self.settings.apology_wav:
            return Path(self.settings.apology_wav)
        return self.prompts.say(APOLOGY, "cmn")

    def _put_through(self, leg: SipLeg) -> None:
        """The application failed: ring the fallback and bridge the caller to it, outside any TwiML."""
        fallback = self.settings.fallback or ""
        uri = fallback if fallback.startswith(("sip:", "sips:")) else self.settings.number_uri.format(number=fallback)
        log.warning("the application failed on %s: putting the caller through to %s", leg.sip_call_id, uri)
        try:
            other = self.line.place_call(uri, leg.caller)
        except Exception:
            log.exception("cannot ring the fallback %s", uri)
            leg.hangup_soon()
            return
        if other.signals.confirmed.wait(FALLBACK_RING_SECONDS) and leg.live:
            leg.bridge_soon(other)
            while leg.live and other.live:
                leg.signals.ended.wait(0.5)
        leg.hangup_soon()
        other.hangup_soon()

    def _answer_if_due(self, call: CallLeg) -> SipLeg | None:
        leg = _leg(call)
        party = call.caller
        if leg is not None and call.direction == "inbound" and call.status == "in-progress":
            if not getattr(party, "answered_sip", False):
                party.answered_sip = True
                leg.answer_soon()
        return leg


def _leg(call: CallLeg) -> SipLeg | None:
    party = call.caller
    return party.leg if isinstance(party, SipParty) else None


def audio_routes(
    sids: list[str], muted: dict[str, bool], held: set[str], coaches: dict[str, str]
) -> set[tuple[str, str]]:
    """Which participant's audio reaches which: (from, to) pairs.

    Everyone hears every unmuted participant but themselves; a coach is heard by its coached only;
    a held participant hears nobody (its hold music plays to it alone).
    """
    return {
        (sender, receiver)
        for sender in sids
        for receiver in sids
        if sender != receiver
        and not muted.get(sender)
        and receiver not in held
        and coaches.get(sender, receiver) == receiver
    }


def _mix(legs: dict[str, SipLeg | None], routes: set[tuple[str, str]]) -> None:
    """Connect the participants' audio along `routes` and disconnect every other pair (PJSIP thread)."""
    calls = {sid: leg._lookup() for sid, leg in legs.items() if leg is not None}
    for sid, call in calls.items():
        if call is None or call.audio is None:
            continue
        for other_sid, other in calls.items():
            if other_sid == sid or other is None or other.audio is None:
                continue
            if (sid, other_sid) in routes:
                call.audio.startTransmit(other.audio)
            else:
                call.audio.stopTransmit(other.audio)
