"""One PJSIP call: its callbacks, run on the PJSIP thread (SIP) or the media thread (RTP)."""

from __future__ import annotations

import dataclasses
import logging
import queue
import threading
import time
from collections.abc import Callable

import pjsua2 as pj

from hotline.gateway.sip.audio import Player

log = logging.getLogger(__name__)

DTMF_METHODS = {
    pj.PJSUA_DTMF_METHOD_RFC2833: "rfc2833",
    pj.PJSUA_DTMF_METHOD_SIP_INFO: "sip-info",
}


@dataclasses.dataclass(eq=False)
class CallSignals:
    """What a call's callbacks tell the thread running its TwiML; plain Python, safe anywhere."""

    digits: queue.SimpleQueue = dataclasses.field(default_factory=queue.SimpleQueue)  # (digit, method)
    wake: threading.Event = dataclasses.field(default_factory=threading.Event)  # a key, a prompt's end, a hang-up
    media_ready: threading.Event = dataclasses.field(default_factory=threading.Event)
    early: threading.Event = dataclasses.field(default_factory=threading.Event)
    confirmed: threading.Event = dataclasses.field(default_factory=threading.Event)
    ended: threading.Event = dataclasses.field(default_factory=threading.Event)
    status_code: int = 0
    reason: str = ""
    connected_at: float | None = None
    ended_at: float | None = None


@dataclasses.dataclass(frozen=True)
class StreamStats:
    """What one call's audio stream received: RTP packets, packets lost, mean and worst jitter (seconds)."""

    packets: int
    lost: int
    jitter: float | None  # None when the stream never measured it (too few packets)
    jitter_max: float


class SipCall(pj.Call):
    """A pjsua2 call owned by the PJSIP thread; it reports through its `signals`."""

    def __init__(
        self,
        account: pj.Account,
        call_id: int = pj.PJSUA_INVALID_ID,
        on_end: Callable[[SipCall], None] | None = None,
        on_stream_stats: Callable[[StreamStats], None] | None = None,
    ) -> None:
        super().__init__(account, call_id)
        self._on_stream_stats = on_stream_stats
        self.signals = CallSignals()
        self.audio: pj.AudioMedia | None = None
        self.players: dict[int, Player] = {}  # destroyed with the call, on the PJSIP thread
        self.recorder: pj.AudioMediaRecorder | None = None
        self.when_media: list[Callable[[], None]] = []  # jobs waiting for the audio path (PJSIP thread)
        self._on_end = on_end

    def onCallState(self, prm: pj.OnCallStateParam) -> None:  # noqa: N802 - pjsua2's name
        """Mark the call ringing, up or ended."""
        info = self.getInfo()
        signals = self.signals
        if info.state == pj.PJSIP_INV_STATE_EARLY:
            signals.early.set()
        elif info.state == pj.PJSIP_INV_STATE_CONFIRMED:
            signals.connected_at = time.monotonic()
            signals.confirmed.set()
        elif info.state == pj.PJSIP_INV_STATE_DISCONNECTED:
            signals.status_code = info.lastStatusCode
            signals.reason = info.lastReason
            signals.ended_at = time.monotonic()
            self.audio = None
            signals.ended.set()
            signals.media_ready.set()  # wake anyone waiting for media that will never come
            signals.wake.set()
            if self._on_end is not None:
                self._on_end(self)

    def onCallMediaState(self, prm: pj.OnCallMediaStateParam) -> None:  # noqa: N802
        """Keep the call's audio port once the SDP exchange made it active."""
        info = self.getInfo()
        for index, media in enumerate(info.media):
            if media.type == pj.PJMEDIA_TYPE_AUDIO and media.status == pj.PJSUA_CALL_MEDIA_ACTIVE:
                self.audio = self.getAudioMedia(index)
                self.signals.media_ready.set()
                jobs, self.when_media = self.when_media, []
                for job in jobs:
                    job()
                return

    def onStreamDestroyed(self, prm: pj.OnStreamDestroyedParam) -> None:  # noqa: N802
        """Report what the audio stream received, read just before PJSIP destroys it (PJSIP thread)."""
        if self._on_stream_stats is None:
            return
        try:
            received = self.getStreamStat(prm.streamIdx).rtcp.rxStat
        except pj.Error:
            return
        jitter = received.jitterUsec
        self._on_stream_stats(
            StreamStats(received.pkt, received.loss, jitter.mean / 1e6 if jitter.n else None, jitter.max / 1e6)
        )

    def onDtmfDigit(self, prm: pj.OnDtmfDigitParam) -> None:  # noqa: N802
        """Queue a key the caller pressed (RFC 2833 event or SIP INFO)."""
        self.signals.digits.put((prm.digit, DTMF_METHODS.get(prm.method, "unknown")))
        self.signals.wake.set()
