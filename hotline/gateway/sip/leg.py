"""A call leg as the thread running its TwiML sees it: blocking, thread-safe media operations.

Every PJSIP object stays on the PJSIP thread (`SipCall`, its players and recorder); a
`CallLeg` holds only the loop, the call's key and its plain-Python signals, so a leg
dropped on any thread never destroys a PJSIP object there.
"""

from __future__ import annotations

import contextlib
import itertools
import queue
import time
from collections.abc import Callable
from pathlib import Path

import pjsua2 as pj

from hotline.gateway.sip.audio import Player, Recorder, wav_seconds
from hotline.gateway.sip.call import CallSignals, SipCall
from hotline.gateway.sip.loop import LoopStopped, PjLoop, release

_player_ids = itertools.count(1)


class LegHungUp(Exception):
    """The far end hung up (or the call failed) while the leg was being used."""


class CallLeg:
    """One live SIP call, driven from a thread of its own."""

    def __init__(
        self,
        loop: PjLoop,
        lookup: Callable[[], SipCall | None],
        signals: CallSignals,
        *,
        caller: str,
        called: str,
        source: str,
        sip_call_id: str,
    ) -> None:
        self._loop = loop
        self._lookup = lookup
        self.signals = signals
        self.caller = caller
        self.called = called
        self.source = source
        self.sip_call_id = sip_call_id
        self.started_at = time.monotonic()
        self.on_answered: Callable[[float], None] | None = None  # told the setup time (INVITE to 200 OK), once

    @property
    def live(self) -> bool:
        """False once the call has ended, from either side."""
        return not self.signals.ended.is_set()

    def _on_call(self, action: Callable[[SipCall], object]) -> object:
        def job() -> object:
            call = self._lookup()
            if call is None or self.signals.ended.is_set():
                raise LegHungUp(self.sip_call_id)
            return action(call)

        return self._loop.call(job)

    def _respond(self, status: int, reason: str = "") -> None:
        def answer(call: SipCall) -> None:
            op = pj.CallOpParam()
            op.statusCode = status
            if reason:
                op.reason = reason
            call.answer(op)

        self._on_call(answer)

    def ring(self) -> None:
        """Send 180 Ringing."""
        self._respond(180)

    def early_media(self) -> None:
        """Send 183 Session Progress with SDP, so prompts play before the call is answered."""
        self._respond(183)
        self._wait_media()

    def answer(self, timeout: float = 10.0) -> None:
        """Send 200 OK and wait until the audio path is up.

        Raises:
            LegHungUp: the caller went away first.
        """
        self._respond(200)
        self._answered()
        self._wait_media(timeout)

    def _wait_media(self, timeout: float = 10.0) -> None:
        if not self.signals.media_ready.wait(timeout) or not self.live:
            raise LegHungUp(self.sip_call_id)

    def reject(self, status: int = 603, reason: str = "") -> None:
        """Refuse a call not yet answered (486 busy, 603 decline)."""
        self.hangup(status, reason)

    def hangup(self, status: int = 0, reason: str = "") -> None:
        """End the call (BYE when up, a final response when ringing); harmless when already ended."""

        def end(call: SipCall) -> None:
            op = pj.CallOpParam()
            if status:
                op.statusCode = status
            if reason:
                op.reason = reason
            call.hangup(op)

        with contextlib.suppress(LegHungUp, LoopStopped):
            self._on_call(end)

    def answer_soon(self) -> None:
        """Send 200 OK without waiting for the audio path (from the interpreter's loop)."""
        self._loop.submit(lambda: self._answer_now(200))

    def _answer_now(self, status: int) -> None:
        call = self._lookup()
        if call is None or self.signals.ended.is_set():
            return
        op = pj.CallOpParam()
        op.statusCode = status
        try:
            call.answer(op)
        except pj.Error:
            return  # answered already, or gone
        if status == 200:
            self._answered()

    def _answered(self) -> None:
        report, self.on_answered = self.on_answered, None
        if report is not None:
            report(time.monotonic() - self.started_at)

    def start_playing(self, path: Path, loop: bool = False) -> None:
        """Start playing a WAV file (over and over when `loop`) in place of what plays now; return at once."""
        player_id = next(_player_ids)

        def start() -> None:
            call = self._lookup()
            if call is None or self.signals.ended.is_set():
                return
            if call.audio is None:
                call.when_media.append(start)  # answered a moment ago: play once the audio is up
                return
            _stop_players(call)
            player = Player(path, loop=loop)
            call.players[player_id] = player
            player.start_transmit(call.audio)

        self._loop.submit(start)

    def stop_playing(self) -> None:
        """Stop every prompt playing to this leg; return at once."""
        self._loop.submit(lambda: _stop_players(self._lookup()))

    def clear_keys(self) -> None:
        """Forget keys pressed so far."""
        while True:
            try:
                self.signals.digits.get_nowait()
            except queue.Empty:
                return

    def play(self, path: Path, stop_on_key: bool = False) -> bool:
        """Play a WAV file to the caller for its length; return True when a key stopped it.

        The key stays queued for `collect`.

        Raises:
            LegHungUp: the caller hung up during the prompt.
        """
        player_id = next(_player_ids)
        self.signals.wake.clear()

        def start(call: SipCall) -> float:
            if call.audio is None:
                raise LegHungUp(self.sip_call_id)
            player = Player(path)
            call.players[player_id] = player
            player.start_transmit(call.audio)
            return player.ends_at

        ends_at = float(self._on_call(start))  # type: ignore[arg-type]
        interrupted = False
        try:
            while (remaining := ends_at - time.monotonic()) > 0:
                if not self.live:
                    raise LegHungUp(self.sip_call_id)
                if stop_on_key and not self.signals.digits.empty():
                    interrupted = True
                    break
                self.signals.wake.wait(min(remaining, 0.5))
                self.signals.wake.clear()
        finally:
            self._loop.submit(lambda: _drop_player(self._lookup(), player_id))
        if not self.live:
            raise LegHungUp(self.sip_call_id)
        return interrupted

    def collect(self, num_digits: int | None, timeout: float, finish_on_key: str = "#") -> str:
        """Collect keys until `num_digits`, `finish_on_key` or `timeout` seconds without a key.

        Raises:
            LegHungUp: the caller hung up before finishing.
        """
        keys = ""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return keys
            try:
                digit, _method = self.signals.digits.get(timeout=min(remaining, 0.5))
            except queue.Empty:
                if not self.live:
                    raise LegHungUp(self.sip_call_id) from None
                continue
            if finish_on_key and digit == finish_on_key:
                return keys
            keys += digit
            if num_digits and len(keys) >= num_digits:
                return keys
            deadline = time.monotonic() + timeout

    def record(self, path: Path, max_seconds: float, finish_on_key: str = "1234567890*#") -> float:
        """Record the caller to a WAV file until a key, a hang-up or `max_seconds`; return its length."""

        def start(call: SipCall) -> None:
            if call.audio is None:
                raise LegHungUp(self.sip_call_id)
            call.recorder = Recorder(path)
            call.audio.startTransmit(call.recorder)

        self.clear_keys()
        self._on_call(start)
        deadline = time.monotonic() + max_seconds
        try:
            while self.live and time.monotonic() < deadline:
                try:
                    digit, _method = self.signals.digits.get(timeout=min(0.2, max(0.0, deadline - time.monotonic())))
                except queue.Empty:
                    continue
                if digit in finish_on_key:
                    break
        finally:
            self._loop.call(lambda: _drop_recorder(self._lookup()))
        return wav_seconds(path)

    def bridge(self, other: CallLeg) -> None:
        """Connect this leg's audio and `other`'s both ways."""
        other_lookup = other._lookup

        def connect(call: SipCall) -> None:
            peer = other_lookup()
            if peer is None or peer.audio is None or call.audio is None:
                raise LegHungUp(other.sip_call_id)
            call.audio.startTransmit(peer.audio)
            peer.audio.startTransmit(call.audio)

        self._on_call(connect)

    def start_recording(self, path: Path) -> None:
        """Start writing what the caller says to a WAV file; return at once."""

        def start() -> None:
            call = self._lookup()
            if call is None or self.signals.ended.is_set():
                return
            if call.audio is None:
                call.when_media.append(start)
                return
            _drop_recorder(call)
            call.recorder = Recorder(path)
            call.audio.startTransmit(call.recorder)

        self._loop.submit(start)

    def received_level(self) -> int:
        """The level (0-255) of the sound the caller sends, as the media bridge last measured it.

        A call's port transmits into the bridge what the caller says: its tx level (rx stays 0).
        """

        def read(call: SipCall) -> int:
            return int(call.audio.getTxLevel()) if call.audio is not None else 0

        try:
            return int(self._on_call(read))  # type: ignore[call-overload]
        except LegHungUp:
            return 0

    def stop_recording(self, path: Path) -> float:
        """Close the recording (its WAV header written) and return its length in seconds."""
        with contextlib.suppress(LoopStopped, TimeoutError):  # the line stopped: the file holds what it has
            self._loop.call(lambda: _drop_recorder(self._lookup()))
        return wav_seconds(path) if path.exists() else 0.0

    def bridge_soon(self, other: CallLeg) -> None:
        """Connect this leg's audio and `other`'s both ways, stopping their prompts; return at once."""
        other_lookup = other._lookup

        def connect() -> None:
            call, peer = self._lookup(), other_lookup()
            if call is None or peer is None:
                return
            if call.audio is None or peer.audio is None:
                (call if call.audio is None else peer).when_media.append(connect)
                return
            _stop_players(call)
            _stop_players(peer)
            call.audio.startTransmit(peer.audio)
            peer.audio.startTransmit(call.audio)

        self._loop.submit(connect)

    def hangup_soon(self, status: int = 0) -> None:
        """End the call (BYE, CANCEL, or a final response `status` when ringing); return at once."""

        def end() -> None:
            call = self._lookup()
            if call is None or self.signals.ended.is_set():
                return
            op = pj.CallOpParam()
            if status:
                op.statusCode = status
            try:
                call.hangup(op)
            except pj.Error:
                pass

        self._loop.submit(end)

    def wait_end(self, timeout: float | None = None) -> bool:
        """Wait until the call ends; return False on timeout."""
        return self.signals.ended.wait(timeout)


def _drop_player(call: SipCall | None, player_id: int) -> None:
    if call is None:
        return
    player = call.players.pop(player_id, None)
    if player is None:
        return
    if call.audio is not None:
        player.stop_transmit(call.audio)
    player.destroy()


def _stop_players(call: SipCall | None) -> None:
    if call is None:
        return
    for player_id in list(call.players):
        _drop_player(call, player_id)


def _drop_recorder(call: SipCall | None) -> None:
    if call is None or call.recorder is None:
        return
    recorder, call.recorder = call.recorder, None
    if call.audio is not None:
        try:
            call.audio.stopTransmit(recorder)
        except pj.Error:
            pass
    release(recorder)  # writes the WAV header's sizes
