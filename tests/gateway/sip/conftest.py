"""Fixtures for the SIP line: a line on free ports, a prompt, and the real sipp as the carrier."""

from __future__ import annotations

import dataclasses
import ipaddress
import math
import shutil
import struct
import wave
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pj = pytest.importorskip("pjsua2", reason="pjsua2-python is not installed (requirements.txt pins it)")

from hotline.gateway.sip.line import CallHandler, SipLine  # noqa: E402
from hotline.gateway.sip.settings import SipSettings, Trunk  # noqa: E402
from tests.support.ports import free_udp_port, free_udp_range  # noqa: E402
from tests.support.rtp import can_sniff  # noqa: E402

needs_sipp = pytest.mark.skipif(shutil.which("sipp") is None, reason="sipp is not installed (Debian sip-tester)")
needs_raw_sockets = pytest.mark.skipif(
    not can_sniff(), reason="sipp plays RFC 2833 and audio pcaps through raw sockets: run as root (CI does)"
)


def tone(path: Path, seconds: float, frequency: float = 440.0) -> Path:
    """Write an 8 kHz mono 16-bit sine tone: a prompt."""
    rate = 8000
    frames = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * frequency * n / rate))) for n in range(int(rate * seconds))
    )
    with wave.open(str(path), "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(rate)
        sound.writeframes(frames)
    return path


@pytest.fixture
def prompt(tmp_path: Path) -> Path:
    """A three-second prompt."""
    return tone(tmp_path / "prompt.wav", 3.0)


def line_settings(**changes: object) -> SipSettings:
    """Settings for a line on free ports taking calls from 127.0.0.0/8."""
    trunk = changes.pop("trunk", Trunk(peers=(ipaddress.ip_network("127.0.0.0/8"),), area_code="22"))
    base = SipSettings(host="127.0.0.1", port=free_udp_port(), rtp_ports=free_udp_range(40), trunk=trunk, log_level=0)
    return dataclasses.replace(base, **changes)


@pytest.fixture
def start_line() -> Iterator[Callable[..., SipLine]]:
    """Start a SIP line with a call handler; it stops at the end of the test."""
    lines: list[SipLine] = []

    def start(on_call: CallHandler, **changes: object) -> SipLine:
        line = SipLine(line_settings(**changes), on_call)
        line.start()
        lines.append(line)
        return line

    yield start
    for line in lines:
        line.stop()
