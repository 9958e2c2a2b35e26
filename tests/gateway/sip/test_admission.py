"""Admission: trunk peers only, a bounded rate per address, a ceiling on calls."""

from __future__ import annotations

import ipaddress

from hotline.gateway.sip.admission import Admission, source_host


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def admission(clock: Clock, **changes: int) -> Admission:
    peers = (ipaddress.ip_network("192.0.2.0/24"), ipaddress.ip_network("2001:db8::/32"))
    settings = {"per_window": 3, "window_seconds": 10.0, "max_calls": 2} | changes
    return Admission(peers, clock=clock, **settings)


def test_only_trunk_peers_are_admitted():
    gate = admission(Clock())
    assert gate.judge("192.0.2.7:5060", 0).admitted
    assert gate.judge("[2001:db8::1]:5060", 0).admitted
    assert gate.judge("198.51.100.1:5060", 0).status == 403
    assert gate.judge("not-an-address", 0).status == 403


def test_a_flood_from_one_address_is_refused_until_its_window_passes():
    clock = Clock()
    gate = admission(clock)
    assert [gate.judge("192.0.2.7:5060", 0).status for _ in range(5)] == [None, None, None, 503, 503]
    assert gate.judge("192.0.2.8:5060", 0).admitted, "another address is not held back"
    clock.now += 10.5
    assert gate.judge("192.0.2.7:5060", 0).admitted


def test_a_full_line_answers_busy():
    gate = admission(Clock())
    assert gate.judge("192.0.2.7:5060", 2).status == 486


def test_a_registrar_resolved_later_becomes_a_peer():
    gate = admission(Clock())
    gate.allow_peer(ipaddress.ip_network("203.0.113.5/32"))
    assert gate.judge("203.0.113.5:5060", 0).admitted


def test_source_hosts_are_read_from_pjsip_addresses():
    assert source_host("127.0.0.1:5060") == "127.0.0.1"
    assert source_host("[::1]:5060") == "::1"
