"""Who may start a call: the trunk's peer addresses, at a bounded rate each."""

from __future__ import annotations

import collections
import dataclasses
import ipaddress
import time
from collections.abc import Callable

from hotline.gateway.sip.settings import Network

FORBIDDEN = 403
BUSY_HERE = 486
SERVICE_UNAVAILABLE = 503


@dataclasses.dataclass(frozen=True)
class Verdict:
    """The answer to an INVITE before any TwiML: None to take it, else a SIP status."""

    status: int | None
    reason: str = ""

    @property
    def admitted(self) -> bool:
        """True when the call may ring the application."""
        return self.status is None


ADMIT = Verdict(None)


class Admission:
    """Refuse INVITEs from unknown sources (403), floods from one source (503) and overload (486)."""

    def __init__(
        self,
        peers: tuple[Network, ...],
        per_window: int,
        window_seconds: float,
        max_calls: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.peers = list(peers)
        self.per_window = per_window
        self.window_seconds = window_seconds
        self.max_calls = max_calls
        self._clock = clock
        self._recent: dict[str, collections.deque[float]] = {}

    def allow_peer(self, network: Network) -> None:
        """Also take INVITEs from `network` (the registrar's address, once resolved)."""
        if network not in self.peers:
            self.peers.append(network)

    def judge(self, source: str, calls_up: int) -> Verdict:
        """Decide on an INVITE from `source` ("ip:port" or "[v6]:port") with `calls_up` calls live."""
        host = source_host(source)
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return Verdict(FORBIDDEN, "unreadable source address")
        if not any(address in network for network in self.peers):
            return Verdict(FORBIDDEN, "not a trunk peer")
        if self._flooding(host):
            return Verdict(SERVICE_UNAVAILABLE, "too many calls from this address")
        if calls_up >= self.max_calls:
            return Verdict(BUSY_HERE, "all lines busy")
        return ADMIT

    def _flooding(self, host: str) -> bool:
        now = self._clock()
        recent = self._recent.setdefault(host, collections.deque())
        while recent and recent[0] <= now - self.window_seconds:
            recent.popleft()
        if len(recent) >= self.per_window:
            return True
        recent.append(now)
        if len(self._recent) > 10_000:  # forget quiet sources so a scan cannot grow the table
            for key in [k for k, v in self._recent.items() if not v]:
                del self._recent[key]
        return False


def source_host(source: str) -> str:
    """The address part of PJSIP's "ip:port" / "[ip6]:port" source string."""
    if source.startswith("["):
        return source[1 : source.find("]")]
    return source.rsplit(":", 1)[0] if source.count(":") == 1 else source
