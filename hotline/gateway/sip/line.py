"""The SIP line: one endpoint, one account, the calls it holds, and what it counts."""

from __future__ import annotations

import collections
import ipaddress
import itertools
import logging
import socket
import threading
from collections.abc import Callable

import pjsua2 as pj

from hotline.gateway.sip.account import LineAccount, account_config
from hotline.gateway.sip.admission import Admission
from hotline.gateway.sip.call import SipCall, StreamStats
from hotline.gateway.sip.caller_id import called_of, caller_of, header_values
from hotline.gateway.sip.endpoint import init_endpoint
from hotline.gateway.sip.leg import CallLeg, LegHungUp
from hotline.gateway.sip.loop import LoopStopped, PjLoop, release
from hotline.gateway.sip.settings import SipSettings

log = logging.getLogger(__name__)
CallHandler = Callable[[CallLeg], None]


class RtpTotals:
    """RTP received on the line's calls, added up as each call's audio stream ends (PJSIP's stream stats)."""

    def __init__(self) -> None:
        self.streams = 0
        self.packets = 0
        self.lost = 0
        self.jitter_sum = 0.0  # seconds: the sum of each measured stream's mean jitter
        self.jitter_count = 0
        self.jitter_max = 0.0
        self._lock = threading.Lock()

    def add(self, stats: StreamStats) -> None:
        """Count one finished stream."""
        with self._lock:
            self.streams += 1
            self.packets += stats.packets
            self.lost += stats.lost
            if stats.jitter is not None:
                self.jitter_sum += stats.jitter
                self.jitter_count += 1
                self.jitter_max = max(self.jitter_max, stats.jitter_max)

    def loss_ratio(self) -> float:
        """Packets lost out of those expected (received + lost), 0 before any."""
        with self._lock:
            expected = self.packets + self.lost
            return self.lost / expected if expected else 0.0


class SetupTimes:
    """A histogram of admitted calls' setup time: from the INVITE to the 200 OK (the first TwiML answered it)."""

    BUCKETS = (0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0, 5.0, 10.0)

    def __init__(self) -> None:
        self.counts = [0] * len(self.BUCKETS)  # calls set up within each bucket's bound (not cumulative)
        self.count = 0
        self.total = 0.0
        self._lock = threading.Lock()

    def add(self, seconds: float) -> None:
        """Count one call answered `seconds` after its INVITE."""
        with self._lock:
            self.count += 1
            self.total += seconds
            for index, bound in enumerate(self.BUCKETS):
                if seconds <= bound:
                    self.counts[index] += 1
                    break

    def cumulative(self) -> list[tuple[str, int]]:
        """Each bucket's bound (as Prometheus writes it, then "+Inf") and the calls within it."""
        with self._lock:
            rows, running = [], 0
            for bound, count in zip(self.BUCKETS, self.counts, strict=True):
                running += count
                rows.append((f"{bound:g}", running))
            rows.append(("+Inf", self.count))
            return rows


class SipLine:
    """Take calls on a SIP trunk and run `on_call(leg)` for each admitted one, in a thread of its own."""

    def __init__(self, settings: SipSettings, on_call: CallHandler) -> None:
        self.settings = settings
        self.on_call = on_call
        self.admission = Admission(
            settings.trunk.peers,
            settings.invites_per_window,
            settings.invite_window_seconds,
            settings.max_calls,
        )
        self.loop = PjLoop(self._setup, self._teardown)
        self.refused: collections.Counter[int] = collections.Counter()
        self.calls_total = 0
        self.registered: bool | None = None if settings.trunk.registers() else True
        self.registration_failures = 0
        self.registration_retries: list[float] = []  # the delays chosen after each failure in a row
        self.on_trunk_change: Callable[[bool, int, str], None] | None = None  # told on the PJSIP thread; must not wait
        self.rtp = RtpTotals()
        self.setup_times = SetupTimes()
        self._calls: dict[int, SipCall] = {}  # touched on the PJSIP thread only
        self._keys = itertools.count(1)
        self._account: LineAccount | None = None
        self._threads: set[threading.Thread] = set()

    @property
    def calls_up(self) -> int:
        """Calls admitted and not yet ended."""
        return sum(1 for call in list(self._calls.values()) if not call.signals.ended.is_set())

    def start(self) -> None:
        """Listen for SIP and register to the trunk when configured.

        Raises:
            pj.Error: the listen address is taken or a setting is refused.
        """
        if self.settings.trunk.registers():
            for network in _registrar_networks(self.settings.trunk.registrar or ""):
                self.admission.allow_peer(network)
        self.loop.start()

    def stop(self) -> None:
        """Hang up every call (BYE, or 503 to one still ringing), unregister and stop."""
        self.loop.stop()
        for thread in list(self._threads):
            thread.join(5)

    def _setup(self, endpoint: pj.Endpoint) -> None:
        transport_id = init_endpoint(endpoint, self.settings)
        self._account = LineAccount(self._on_incoming, self._on_registration)
        self._account.create(account_config(self.settings, transport_id))

    def _teardown(self, endpoint: pj.Endpoint) -> None:
        endpoint.hangupAllCalls()
        for _ in range(50):  # let the BYEs and final responses go out
            endpoint.libHandleEvents(10)
        for key in list(self._calls):
            self._forget(key)
        if self._account is not None:
            self._account.shutdown()
            release(self._account)
            self._account = None

    def _on_incoming(self, prm: pj.OnIncomingCallParam) -> None:
        message = prm.rdata.wholeMsg
        source = prm.rdata.srcAddress
        verdict = self.admission.judge(source, self.calls_up)
        key = next(self._keys)
        call = SipCall(self._account, prm.callId, on_end=lambda ended: self._ended(key), on_stream_stats=self.rtp.add)
        self._calls[key] = call
        if not verdict.admitted:
            self.refused[verdict.status] += 1
            log.info("refused INVITE from %s: %s %s", source, verdict.status, verdict.reason)
            op = pj.CallOpParam()
            op.statusCode = verdict.status
            op.reason = verdict.reason
            call.hangup(op)
            return
        self.calls_total += 1
        trunk = self.settings.trunk
        call_id = (header_values(message, "call-id") or header_values(message, "i") or [str(key)])[0]
        leg = CallLeg(
            self.loop,
            lambda: self._calls.get(key),
            call.signals,
            caller=caller_of(message, trunk.region, trunk.area_code),
            called=called_of(message, trunk.region, trunk.area_code),
            source=source,
            sip_call_id=call_id,
        )
        leg.on_answered = self.setup_times.add
        thread = threading.Thread(target=self._run_call, args=(leg,), name=f"call-{key}", daemon=True)
        self._threads.add(thread)
        thread.start()

    def place_call(self, uri: str, caller_id: str | None = None) -> CallLeg:
        """Send an INVITE to `uri` (a worker's phone, a number through the trunk); return its leg at once.

        The leg's signals say when it rings, is answered or ends (with the SIP status).

        Raises:
            pj.Error: PJSIP refused the URI.
        """
        key = next(self._keys)

        def invite() -> SipCall:
            call = SipCall(self._account, on_end=lambda ended: self._ended(key), on_stream_stats=self.rtp.add)
            op = pj.CallOpParam(True)
            if caller_id:
                header = pj.SipHeader()
                header.hName, header.hValue = "P-Asserted-Identity", f"<tel:{caller_id}>"
                op.txOption.headers.append(header)
            self._calls[key] = call
            try:
                call.makeCall(uri, op)
            except pj.Error:
                self._forget(key)
                raise
            return call

        call = self.loop.call(invite)
        return CallLeg(
            self.loop,
            lambda: self._calls.get(key),
            call.signals,
            caller=caller_id or "",
            called=uri,
            source="",
            sip_call_id=f"out-{key}",
        )

    def _run_call(self, leg: CallLeg) -> None:
        try:
            self.on_call(leg)
        except (LegHungUp, LoopStopped):
            log.info("call %s: the caller hung up (or the line stopped)", leg.sip_call_id)
        except Exception:
            log.exception("call %s failed", leg.sip_call_id)
        finally:
            leg.hangup()
            self._threads.discard(threading.current_thread())

    def _ended(self, key: int) -> None:
        self.loop.defer(lambda: self._forget(key))

    def _forget(self, key: int) -> None:
        call = self._calls.pop(key, None)
        if call is None:
            return
        for player in call.players.values():
            player.destroy()
        call.players.clear()
        release(call.recorder)
        call.recorder = None
        release(call)

    def _on_registration(self, code: int, reason: str) -> None:
        registered = 200 <= code < 300
        if not registered:
            self.registration_failures += 1
            trunk = self.settings.trunk
            delay = min(trunk.retry_first_seconds * 2 ** len(self.registration_retries), trunk.retry_max_seconds)
            self.registration_retries.append(delay)
            log.warning("trunk registration failed: %s %s; trying again in %s s", code, reason, delay)
            self.loop.call_later(delay, self._register_again)
        else:
            if self.registered is not True:
                log.info("registered to the trunk")
            self.registration_retries.clear()
        changed = self.registered is not registered
        self.registered = registered
        if changed and self.on_trunk_change is not None:
            self.on_trunk_change(registered, code, reason)

    def _register_again(self) -> None:
        """Send a new REGISTER after a failure (PJSIP thread); a refusal schedules the next, later."""
        if self._account is None or self.registered:
            return
        try:
            self._account.setRegistration(True)
        except pj.Error as exc:
            log.warning("cannot send the trunk registration: %s", exc.info())
            self._on_registration(0, "not sent")


def _registrar_networks(registrar: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """The addresses a registrar URI resolves to, as networks of one address each."""
    host = registrar.split(":", 1)[-1].split(";", 1)[0]
    if host.startswith("["):
        host = host[1 : host.find("]")]
    else:
        host = host.split(":", 1)[0]
    try:
        infos = socket.getaddrinfo(host, None)
    except socket.gaierror:
        log.warning("cannot resolve the registrar %s", host)
        return []
    return [ipaddress.ip_network(info[4][0]) for info in infos]
