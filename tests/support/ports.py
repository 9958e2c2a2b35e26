"""Free ports on 127.0.0.1 for servers and SIP peers that tests start."""

from __future__ import annotations

import random
import socket


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A port nothing listens on now (TCP by default, `socket.SOCK_DGRAM` for UDP)."""
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def free_udp_port() -> int:
    """A UDP port nothing is bound to now (SIP, RTP)."""
    return free_port(socket.SOCK_DGRAM)


def free_udp_range(count: int, low: int = 20000, high: int = 32000) -> tuple[int, int]:
    """An even-based block of `count` consecutive free UDP ports (an RTP range), as (first, last)."""
    for _ in range(200):
        first = random.randrange(low, high - count) & ~1
        if all(_udp_free(port) for port in range(first, first + count)):
            return first, first + count - 1
    raise RuntimeError(f"no block of {count} free UDP ports between {low} and {high}")


def _udp_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_sip_port(low: int = 20000, high: int = 32000) -> int:
    """A port free for UDP and TCP, and the next one for TCP (a SIP UA's UDP, TCP and TLS transports).

    Below the kernel's ephemeral range: a UDP port the kernel hands out may be the local end
    of somebody's TCP connection, and a UA that also listens on TCP then fails to start.
    """
    for _ in range(200):
        port = random.randrange(low, high - 1)
        if _udp_free(port) and _tcp_free(port) and _tcp_free(port + 1):
            return port
    raise RuntimeError(f"no free SIP port between {low} and {high}")


def _tcp_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
