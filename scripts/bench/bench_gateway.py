"""Benchmark the SIP gateway: sipp holds N concurrent calls through Kamailio, beside sipp's loopback UAS.

    sudo .venv/bin/python scripts/bench/bench_gateway.py --calls 16 --hold 30

Each call: sipp's caller INVITEs Kamailio (the sample deploy/kamailio/kamailio.cfg), whose
dispatcher spreads the calls over `--gateways` gateway processes (default: as many as the
calls need, PJSIP holding 4 legs a process and a bridged call taking two). The gateway posts
the call's webhooks to a small TwiML app in this process: a menu prompt (<Play>), a queue
whose wait URL plays hold music and leaves, then <Dial><Sip> to the worker's phone (a sipp
UAS that answers and talks). The caller talks too, for `--hold` seconds, then hangs up.
The baseline is the same caller against sipp's own UAS on loopback, answering and playing
at once, in the same run.

Read from the loopback interface (a raw socket: run as root): setup time (the caller's
INVITE to the first RTP packet the caller receives: the prompt), RTP loss (sequence gaps)
and jitter (RFC 3550, 8 kHz) of every stream towards the caller and the worker, the calls
held (both directions flowing at the end of the hold), and the gateways' CPU (from /proc)
per held call. Target: 200 calls held on 2 cores, setup p99 < 300 ms, loss < 1 %.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import ipaddress
import math
import os
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.gateway.sip import scenarios  # noqa: E402
from tests.support.kamailio import Kamailio  # noqa: E402
from tests.support.ports import free_port, free_udp_port, free_udp_range  # noqa: E402
from tests.support.sipp import Sipp  # noqa: E402

LEGS_PER_PROCESS = 4  # PJSUA_MAX_CALLS of the pinned wheel
TOKEN, ACCOUNT = "bench-token", "AC" + "b" * 32


# --- the TwiML app the gateways call -------------------------------------------------------------


def serve_twiml(worker_port: int, folder: Path) -> tuple[str, object]:
    """Serve the bench's TwiML (menu, queue with hold music, dial the worker) and its prompts."""
    from flask import Flask, Response, send_file
    from werkzeug.serving import make_server

    for name, seconds, frequency in (("menu", 2, 500), ("hold", 2, 350)):
        command = ["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", str(folder / f"{name}.wav"), "synth"]
        subprocess.run([*command, str(seconds), "sine", str(frequency), "vol", "0.5"], check=True)
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    app = Flask("bench_gateway")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"

    def xml(body: str) -> Response:
        return Response(f'<?xml version="1.0" encoding="UTF-8"?><Response>{body}</Response>', mimetype="text/xml")

    @app.post("/twilio/voice/incoming")
    def incoming() -> Response:
        dial = f"<Dial><Sip>sip:worker@127.0.0.1:{worker_port}</Sip></Dial>"
        return xml(f'<Play>{base}/menu.wav</Play><Enqueue waitUrl="{base}/wait">bench</Enqueue>{dial}')

    @app.post("/wait")
    def wait() -> Response:
        return xml(f"<Play>{base}/hold.wav</Play><Leave/>")

    @app.post("/twilio/voice/<path:_rest>")
    def callbacks(_rest: str) -> Response:
        return xml("")

    @app.get("/<name>.wav")
    def prompt(name: str) -> Response:
        return send_file(folder / f"{name}.wav", mimetype="audio/wav")

    threading.Thread(target=server.serve_forever, daemon=True).start()
    return base, server


def run_gateway(argv: list[str]) -> None:
    """Child process: one SIP gateway (`--serve-gateway sip_port rtp_first rtp_last app_url cache`)."""
    from hotline.gateway.runner import NUMBER_WEBHOOKS
    from hotline.gateway.sip.runner import SipGateway
    from hotline.gateway.sip.settings import SipSettings, Trunk

    sip_port, first, last, app_url, cache = int(argv[0]), int(argv[1]), int(argv[2]), argv[3], Path(argv[4])
    trunk = Trunk(peers=(ipaddress.ip_network("127.0.0.0/8"),), area_code="22")
    settings = SipSettings(port=sip_port, rtp_ports=(first, last), trunk=trunk, log_level=0, invites_per_window=10_000)
    gateway = SipGateway(app_url, app_url, TOKEN, ACCOUNT, settings, cache, rest_port=free_port(), **NUMBER_WEBHOOKS)
    gateway.start()
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    print("ready", flush=True)
    stopped.wait()
    gateway.stop()


# --- what the loopback interface shows -----------------------------------------------------------


@dataclasses.dataclass
class Stream:
    """One RTP stream (by SSRC) towards one destination port."""

    first_seen: float
    sequences: set[int] = dataclasses.field(default_factory=set)
    jitter: float = 0.0
    last: tuple[float, int] | None = None
    last_seen: float = 0.0

    def add(self, now: float, sequence: int, timestamp: int) -> None:
        """Count a packet and update RFC 3550's interarrival jitter (in seconds)."""
        self.sequences.add(sequence)
        if self.last is not None:
            transit = (now - self.last[0]) - (timestamp - self.last[1]) / 8000
            self.jitter += (abs(transit) - self.jitter) / 16
        self.last, self.last_seen = (now, timestamp), now

    def loss(self) -> float:
        """The share of packets missing between the first and last sequence number seen."""
        ordered = sorted(self.sequences)
        if len(ordered) < 2:
            return 0.0
        span = ordered[-1] - ordered[0] + 1
        if span > 60000:  # wrapped: count from the largest gap
            return 0.0
        return 1 - len(ordered) / span


class Sniffer:
    """Read SIP and RTP on lo: the callers' INVITEs, the SDP answers, the streams."""

    def __init__(self, caller_port: int, caller_media: int, worker_media: int) -> None:
        self.caller_port, self.caller_media, self.worker_media = caller_port, caller_media, worker_media
        self.invited: dict[str, float] = {}  # Call-ID -> first INVITE from the caller
        self.answer_port: dict[int, str] = {}  # the answerer's RTP port -> Call-ID
        self.first_audio: dict[str, float] = {}
        self.answered: dict[str, float] = {}  # Call-ID -> the 200 OK reaching the caller
        self.streams: dict[tuple[int, int], Stream] = {}  # (destination port, ssrc)
        self.sources: dict[tuple[int, int], int] = {}
        self._sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
        self._sock.bind(("lo", 0))
        self._sock.settimeout(0.2)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 * 1024 * 1024)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Sniffer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(3)
        self._sock.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                frame, address = self._sock.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            if address[2] == 4 or len(frame) < 42 or frame[12:14] != b"\x08\x00":
                continue
            ip = frame[14:]
            if ip[9] != socket.IPPROTO_UDP:
                continue
            udp = ip[(ip[0] & 0x0F) * 4 :]
            source, destination = struct.unpack("!HH", udp[:4])
            self._packet(time.monotonic(), source, destination, udp[8:])

    def _packet(self, now: float, source: int, destination: int, data: bytes) -> None:
        if data[:6] == b"INVITE" and source == self.caller_port:
            call_id = _header(data, b"Call-ID")
            if call_id and call_id not in self.invited:
                self.invited[call_id] = now
        elif data[:12] == b"SIP/2.0 200 " and b"INVITE" in (_header(data, b"CSeq") or "").encode():
            call_id, port = _header(data, b"Call-ID"), _media_port(data)
            if call_id in self.invited and port:
                self.answer_port[port] = call_id
            if call_id in self.invited and destination == self.caller_port:
                self.answered.setdefault(call_id, now)
        elif len(data) >= 12 and data[0] >> 6 == 2 and destination in (self.caller_media, self.worker_media):
            sequence, timestamp, ssrc = struct.unpack("!HII", data[2:12])
            key = (destination, ssrc)
            stream = self.streams.get(key)
            if stream is None:
                stream = self.streams[key] = Stream(first_seen=now)
                self.sources[key] = source
            stream.add(now, sequence, timestamp)
            if destination == self.caller_media and data[1] & 0x7F in (0, 8):
                call_id = self.answer_port.get(source)
                if call_id and call_id not in self.first_audio:
                    self.first_audio[call_id] = now

    def setup_ms(self) -> list[float]:
        """INVITE to the first audio the caller received, per call, in ms."""
        return sorted((self.first_audio[c] - self.invited[c]) * 1000 for c in self.first_audio if c in self.invited)

    def answer_ms(self) -> list[float]:
        """INVITE to the 200 OK reaching the caller, per call, in ms."""
        return sorted((self.answered[c] - self.invited[c]) * 1000 for c in self.answered if c in self.invited)

    def flowing(self, destination: int, at: float) -> int:
        """Streams towards `destination` that still carried packets within a second of `at`."""
        return sum(1 for (port, _), s in self.streams.items() if port == destination and s.last_seen >= at - 1.0)


def _header(data: bytes, name: bytes) -> str | None:
    for line in data.split(b"\r\n"):
        if line.lower().startswith(name.lower() + b":"):
            return line.split(b":", 1)[1].strip().decode(errors="replace")
    return None


def _media_port(data: bytes) -> int | None:
    for line in data.split(b"\r\n"):
        if line.startswith(b"m=audio "):
            return int(line.split()[1])
    return None


# --- one side of the run --------------------------------------------------------------------------


@dataclasses.dataclass
class Result:
    """The figures of one side."""

    name: str
    calls: int
    held: int
    answer: list[float]
    setup: list[float]
    loss: float
    jitter_ms: float
    cpu_per_call: float | None
    sipp_ok: bool

    def row(self) -> str:
        """One line of the table."""
        figures = [_percentile(values, q) for values in (self.answer, self.setup) for q in (50, 99)]
        cpu = f"{self.cpu_per_call:6.1f} %" if self.cpu_per_call is not None else "     -"
        return (
            f"{self.name:<12} {self.held:>4}/{self.calls:<4}"
            + "".join(f" {value:8.0f}" for value in figures)
            + f" {self.loss * 100:7.2f} %"
            f" {self.jitter_ms:7.2f} {cpu}   {'ok' if self.sipp_ok else 'failed'}"
        )


def _percentile(values: list[float], q: int) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1)]


def _cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _successful(output: str) -> int:
    """The successful calls of sipp's final statistics."""
    for line in reversed(output.splitlines()):
        if line.strip().startswith("Successful call"):
            return int(line.split("|")[2].split()[0])
    return 0


def caller_scenario(folder: Path, hold: int) -> Path:
    """The caller: INVITE, answer, talk (the G.711 sample, again) for `hold` seconds, BYE."""
    steps = []
    for _ in range(max(1, hold // 7)):
        steps += [scenarios.audio(), scenarios.pause(7000)]
    return scenarios.write(folder / "caller.xml", scenarios.call(steps, gateway_hangs_up=False))


def worker_scenario(folder: Path, hold: int) -> Path:
    """The worker's phone (and the baseline's UAS): answer, talk until the BYE."""
    steps = []
    for _ in range(max(1, hold // 7 - 1)):  # done talking before the caller's BYE can arrive
        steps += [scenarios.audio(), scenarios.pause(7000)]
    xml = scenarios.answering_phone(steps, ring_ms=0).replace('timeout="60000"', 'timeout="600000"')
    return scenarios.write(folder / "worker.xml", xml)


def run_side(name: str, target: str, worker: Sipp, args: argparse.Namespace, folder: Path, pids: list[int]) -> Result:
    """Run the callers against `target` with the worker UA answering; read the loopback meanwhile."""
    print(f"{name}: {args.calls} calls to {target}", file=sys.stderr, flush=True)  # noqa: T201
    caller = Sipp(caller_scenario(folder, args.hold), target, calls=args.calls, rate=args.rate, work_dir=folder)
    caller.timeout = worker.timeout = int(args.hold + args.calls / args.rate + 120)
    worker_process = worker.start()
    time.sleep(0.5)  # sipp binds its ports at once; nothing to poll
    with Sniffer(caller.sip_port, caller.media_port, worker.media_port) as sniffer:
        cpu_before, started = _cpu_seconds(pids), time.monotonic()
        caller_process = caller.start()
        middle = started + args.calls / args.rate + args.hold * 0.4
        while time.monotonic() < middle and caller_process.poll() is None:
            time.sleep(0.2)
        held = min(
            sniffer.flowing(caller.media_port, time.monotonic()), sniffer.flowing(worker.media_port, time.monotonic())
        )
        print(f"{name}: {held} calls flowing both ways; waiting for the callers", file=sys.stderr, flush=True)  # noqa: T201
        output = caller_process.communicate(timeout=args.hold + 180)[0]
        elapsed, cpu_after = time.monotonic() - started, _cpu_seconds(pids)
    worker_process.terminate()
    worker_process.communicate(timeout=30)
    streams = [s for s in sniffer.streams.values() if len(s.sequences) > 50]
    loss = statistics.mean(s.loss() for s in streams) if streams else math.nan
    jitter = statistics.mean(s.jitter for s in streams) * 1000 if streams else math.nan
    if not pids:
        # sipp's UAS plays every call from one port with the pcap's SSRC: its streams cannot be told
        # apart on the wire, so the baseline's held calls are sipp's successful ones, loss and jitter unread.
        held, loss, jitter = _successful(output), math.nan, math.nan
    cpu = (cpu_after - cpu_before) / elapsed * 100 / max(held, 1) if pids else None
    if caller_process.returncode != 0:
        print(output[-1500:], file=sys.stderr)  # noqa: T201
    setup = sniffer.setup_ms() if pids else []  # the baseline's UAS plays every call from one port
    return Result(name, args.calls, held, sniffer.answer_ms(), setup, loss, jitter, cpu, caller_process.returncode == 0)


def main() -> None:
    """Run the baseline and the gateway side by side; print the table and the verdict."""
    if len(sys.argv) > 1 and sys.argv[1] == "--serve-gateway":
        run_gateway(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=16, help="concurrent calls")
    parser.add_argument("--hold", type=int, default=30, help="seconds each call talks (21 or more)")
    parser.add_argument("--rate", type=float, default=4.0, help="new calls a second")
    parser.add_argument("--gateways", type=int, default=0, help="gateway processes (default: as the calls need)")
    args = parser.parse_args()
    gateways = args.gateways or math.ceil(args.calls * 2 / LEGS_PER_PROCESS)
    with tempfile.TemporaryDirectory(prefix="bench-gateway-") as tmp:
        folder = Path(tmp)
        baseline_uas = Sipp(worker_scenario(folder, args.hold), "127.0.0.1:1", calls=args.calls, work_dir=folder)
        baseline = run_side("sipp UAS", f"127.0.0.1:{baseline_uas.sip_port}", baseline_uas, args, folder, [])

        worker = Sipp(worker_scenario(folder, args.hold), "127.0.0.1:1", calls=args.calls, work_dir=folder)
        app_url, server = serve_twiml(worker.sip_port, folder)
        ports = [free_udp_port() for _ in range(gateways)]
        children: list[subprocess.Popen] = []
        kamailio = Kamailio(folder, ports)
        try:
            for index, port in enumerate(ports):
                low = 20000 + index * 200
                first, last = free_udp_range(LEGS_PER_PROCESS * 2 + 4, low=low, high=low + 200)
                cache = folder / f"gateway-{index}"
                cache.mkdir()
                command = [sys.executable, __file__, "--serve-gateway", str(port), str(first), str(last)]
                children.append(subprocess.Popen([*command, app_url, str(cache)], stdout=subprocess.PIPE, text=True))
            for child in children:
                assert child.stdout is not None
                if not any(line.strip() == "ready" for line in iter(child.stdout.readline, "")):
                    raise SystemExit(f"a gateway did not start (exit {child.wait()})")
            kamailio.start().wait_ready()
            time.sleep(2)  # let every gateway answer the dispatcher's first OPTIONS
            pids = [child.pid for child in children]
            gateway = run_side(f"gateway x{gateways}", f"127.0.0.1:{kamailio.port}", worker, args, folder, pids)
        finally:
            kamailio.stop()
            for child in children:
                child.send_signal(signal.SIGTERM)
            for child in children:
                try:
                    child.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    child.kill()
            server.shutdown()  # type: ignore[attr-defined]
    print(
        f"\n{args.calls} calls, {args.hold} s each, {args.rate}/s, {os.cpu_count()} cores; {gateways} gateway processes"
    )  # noqa: T201
    print("setup: INVITE to the caller's 200 OK (answer) and to the first prompt audio (audio), in ms")  # noqa: T201
    head = f"{'side':<12} {'held':>9} {'ans p50':>8} {'ans p99':>8} {'aud p50':>8} {'aud p99':>8}"
    print(f"{head} {'loss':>9} {'jit ms':>7} {'cpu/call':>8}")  # noqa: T201
    for result in (baseline, gateway):
        print(result.row())  # noqa: T201
    p99 = _percentile(gateway.setup, 99)
    met = gateway.held >= 200 and p99 < 300 and gateway.loss < 0.01
    print(  # noqa: T201
        f"target (200 calls held on 2 cores, setup p99 < 300 ms, loss < 1 %): {'MET' if met else 'NOT MET'}"
        f" (held {gateway.held}, p99 {p99:.0f} ms, loss {gateway.loss * 100:.2f} %)"
    )


if __name__ == "__main__":
    main()
