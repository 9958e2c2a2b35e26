"""Count RTP packets on the loopback interface by UDP destination port (needs root, as CI runs)."""

from __future__ import annotations

import collections
import math
import socket
import struct
import threading
import time

from tests.support.pcap import alaw_to_linear

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
SILENT_BYTES = frozenset(b"\xd5\x55\xff\x7f")  # G.711 A-law and mu-law silence
PCMA = 8
ALAW_SQUARES = [alaw_to_linear(value) ** 2 for value in range(256)]
LOUD_RMS = 300  # a 20 ms frame this loud counts as sound (as the tests' `voiced_seconds` of a WAV)


def can_sniff() -> bool:
    """True when this process may open a raw packet socket (root or CAP_NET_RAW)."""
    try:
        socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL)).close()
    except (PermissionError, AttributeError, OSError):
        return False
    return True


class RtpCounter:
    """Count UDP datagrams that look like RTP, per destination port, while it runs."""

    def __init__(self) -> None:
        self.packets: collections.Counter[int] = collections.Counter()
        self.payload_types: dict[int, set[int]] = collections.defaultdict(set)
        self.voiced: dict[int, list[float]] = collections.defaultdict(list)  # when sound (not silence) arrived
        self.first: dict[int, float] = {}  # when the first packet arrived (time.monotonic)
        self.loud_pcma: dict[int, list[float]] = collections.defaultdict(list)  # when a PCMA packet's RMS was loud
        self._lock = threading.Lock()
        self._sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self._sock.bind(("lo", 0))
        self._sock.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rtp-counter", daemon=True)

    def __enter__(self) -> RtpCounter:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(2)
        self._sock.close()

    def count(self, port: int) -> int:
        """RTP packets seen so far towards `port`."""
        with self._lock:
            return self.packets[port]

    def first_seen(self, port: int) -> float | None:
        """When (time.monotonic) the first RTP packet towards `port` was seen, or None."""
        with self._lock:
            return self.first.get(port)

    def voiced_since(self, port: int, moment: float) -> int:
        """Packets carrying sound (not G.711 silence) seen towards `port` since `moment` (time.monotonic)."""
        with self._lock:
            return sum(1 for seen in self.voiced[port] if seen >= moment)

    def last_loud(self, ports: range | list[int], start: float, end: float) -> float | None:
        """When the last loud PCMA packet (20 ms over `LOUD_RMS`) towards `ports` was seen between two moments.

        A moment, not a count: on a busy machine the sniffer misses packets, never whole seconds of them.
        """
        with self._lock:
            seen = [moment for port in ports for moment in self.loud_pcma.get(port, ()) if start <= moment <= end]
        return max(seen, default=None)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                frame, address = self._sock.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            if address[2] == PACKET_OUTGOING:  # each loopback packet shows up twice
                continue
            self._read(frame)

    def _read(self, frame: bytes) -> None:
        if len(frame) < 14 + 20 + 8 + 12 or frame[12:14] != b"\x08\x00":
            return
        ip = frame[14:]
        header_length = (ip[0] & 0x0F) * 4
        if ip[9] != socket.IPPROTO_UDP:
            return
        udp = ip[header_length:]
        _source, destination = struct.unpack("!HH", udp[:4])
        rtp = udp[8:]
        if len(rtp) < 12 or rtp[0] >> 6 != 2:
            return
        payload = rtp[12 + 4 * (rtp[0] & 0x0F) :]
        loud = sum(1 for byte in payload if byte not in SILENT_BYTES and abs(byte - 0xD5) > 8 and abs(byte - 0x55) > 8)
        payload_type = rtp[1] & 0x7F
        rms = math.sqrt(sum(ALAW_SQUARES[byte] for byte in payload) / len(payload)) if payload else 0.0
        with self._lock:
            if payload_type == PCMA and rms > LOUD_RMS:
                self.loud_pcma[destination].append(time.monotonic())
            self.packets[destination] += 1
            self.first.setdefault(destination, time.monotonic())
            self.payload_types[destination].add(payload_type)
            if payload and loud > len(payload) // 4:
                self.voiced[destination].append(time.monotonic())
