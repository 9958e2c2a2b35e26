"""Count RTP packets on the loopback interface by UDP destination port (needs root, as CI runs)."""

from __future__ import annotations

import collections
import socket
import struct
import threading

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4


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
        with self._lock:
            self.packets[destination] += 1
            self.payload_types[destination].add(rtp[1] & 0x7F)
