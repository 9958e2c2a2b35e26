"""The SIP line answers, plays a prompt and takes keys, against sipp as the carrier's caller."""

from __future__ import annotations

import ipaddress
import threading
import time
from pathlib import Path

import pytest

from hotline.gateway.sip.leg import CallLeg
from hotline.gateway.sip.settings import Trunk
from tests.gateway.sip import scenarios
from tests.gateway.sip.conftest import needs_raw_sockets, needs_sipp, tone
from tests.support.rtp import RtpCounter
from tests.support.sipp import Sipp

pytestmark = needs_sipp


class Recorded:
    """What a call handler saw, for the test to assert on once the call is over."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.keys = ""
        self.stopped_by_key = False
        self.caller = ""
        self.called = ""


def menu(prompt: Path, seen: Recorded, num_digits: int = 2):
    """A handler: answer, play the prompt (a key stops it), collect keys, hang up."""

    def on_call(leg: CallLeg) -> None:
        seen.caller, seen.called = leg.caller, leg.called
        try:
            leg.ring()
            leg.answer()
            seen.stopped_by_key = leg.play(prompt, stop_on_key=True)
            seen.keys = leg.collect(num_digits, timeout=10)
        finally:
            seen.done.set()

    return on_call


@needs_raw_sockets
@pytest.mark.parametrize("codec", ["PCMA", "PCMU"])
def test_a_key_by_rfc2833_stops_the_prompt_and_a_key_by_sip_info_follows(start_line, prompt, tmp_path, codec):
    seen = Recorded()
    line = start_line(menu(prompt, seen))
    steps = [scenarios.pause(300), scenarios.rfc2833("2"), scenarios.pause(1500), scenarios.sip_info("5")]
    scenario = scenarios.write(tmp_path / "caller.xml", scenarios.call(steps, codecs=(codec,)))
    run = Sipp(scenario, f"127.0.0.1:{line.settings.port}", work_dir=tmp_path).run()
    assert run.returncode == 0, run.explain()
    assert seen.done.wait(10)
    assert seen.stopped_by_key, "the RFC 2833 key pressed during the prompt did not stop it"
    assert seen.keys == "25"
    assert seen.caller == "+862222292209", "a local number gets the trunk's area code"
    assert seen.called == "+862222292209"


def test_the_caller_is_read_from_p_asserted_identity(start_line, prompt, tmp_path):
    seen = Recorded()
    line = start_line(menu(prompt, seen, num_digits=1))
    pai = "P-Asserted-Identity: <sip:+8613800138000@carrier.example>"
    steps = [scenarios.pause(200), scenarios.sip_info("1")]
    scenario = scenarios.write(tmp_path / "pai.xml", scenarios.call(steps, extra_header=pai))
    run = Sipp(scenario, f"127.0.0.1:{line.settings.port}", work_dir=tmp_path).run()
    assert run.returncode == 0, run.explain()
    assert seen.done.wait(10)
    assert seen.caller == "+8613800138000"


def test_an_invite_from_an_address_that_is_not_a_trunk_peer_is_refused_with_403(start_line, tmp_path):
    calls = []
    line = start_line(calls.append, trunk=Trunk(peers=(ipaddress.ip_network("10.0.0.0/8"),)))
    scenario = scenarios.write(tmp_path / "refused.xml", scenarios.refused(403))
    run = Sipp(scenario, f"127.0.0.1:{line.settings.port}", work_dir=tmp_path).run()
    assert run.returncode == 0, run.explain()
    assert calls == []
    assert line.refused[403] == 1


def test_an_offer_with_no_common_codec_is_refused_with_488(start_line, tmp_path):
    calls = []
    line = start_line(calls.append)
    scenario = scenarios.write(tmp_path / "g729.xml", scenarios.refused(488, codecs=("G729",)))
    run = Sipp(scenario, f"127.0.0.1:{line.settings.port}", work_dir=tmp_path).run()
    assert run.returncode == 0, run.explain()


def test_a_flood_from_one_address_gets_503_and_another_address_still_gets_through(start_line, prompt, tmp_path):
    seen = Recorded()
    line = start_line(menu(prompt, seen, num_digits=1), invites_per_window=5, invite_window_seconds=60.0)
    flood = scenarios.write(tmp_path / "flood.xml", scenarios.any_final())
    run = Sipp(flood, f"127.0.0.1:{line.settings.port}", calls=20, rate=50, work_dir=tmp_path).run()
    assert run.returncode == 0, run.explain()
    assert line.refused[503] == 15, (line.refused, line.calls_total, run.stdout[-6000:])
    assert line.calls_total == 5

    steps = [scenarios.pause(200), scenarios.sip_info("3")]
    caller = scenarios.write(tmp_path / "caller.xml", scenarios.call(steps))
    other = Sipp(caller, f"127.0.0.1:{line.settings.port}", work_dir=tmp_path)
    command_address = "127.0.0.2"
    run = _run_from(other, command_address)
    assert run.returncode == 0, run.explain()
    assert seen.done.wait(10)


def _run_from(sipp: Sipp, address: str):
    original = sipp.command

    def command() -> list[str]:
        parts = original()
        parts[parts.index("-i") + 1] = address
        parts[parts.index("-mi") + 1] = address
        return parts

    sipp.command = command  # type: ignore[method-assign]
    return sipp.run()


@needs_raw_sockets
def test_audio_flows_both_ways_in_pcma(start_line, tmp_path):
    played = threading.Event()

    def on_call(leg: CallLeg) -> None:
        leg.answer()
        leg.play(tone(tmp_path / "one-second.wav", 1.0))
        played.set()
        leg.collect(1, timeout=10)

    line = start_line(on_call)
    steps = [scenarios.audio("g711a.pcap"), scenarios.pause(7500), scenarios.sip_info("9")]
    scenario = scenarios.write(tmp_path / "talk.xml", scenarios.call(steps))
    sipp = Sipp(scenario, f"127.0.0.1:{line.settings.port}", work_dir=tmp_path)
    with RtpCounter() as rtp:
        run = sipp.run()
    assert run.returncode == 0, run.explain()
    assert played.is_set()
    heard = rtp.count(sipp.media_port)
    assert heard >= 300, f"sipp received {heard} RTP packets in 7.5 s"
    assert rtp.payload_types[sipp.media_port] == {8}
    first, last = line.settings.rtp_ports
    sent = sum(rtp.count(port) for port in range(first, last + 1))
    assert sent >= 230, f"the gateway received {sent} of the 236 packets of g711a.pcap"


def test_prompts_replaced_as_they_end_never_crash_the_line(start_line, tmp_path: Path) -> None:
    """A prompt dropped just as it ends (the interpreter sleeps exactly its length) is safe.

    pjsua2 2.15.1's AudioMediaPlayer left its end-of-file event queued when destroyed, and
    PJSIP's event thread then called the freed player (a crash about every other run of
    this test, with Python threads keeping the GIL busy). The line's players have no
    such callback (`audio.Player`).
    """
    prompts = [tone(tmp_path / f"short-{n}.wav", 0.06 + 0.02 * n, 300 + 50 * n) for n in range(4)]
    swapped: list[int] = []
    done = threading.Event()
    busy = threading.Event()

    def keep_the_gil_busy() -> None:
        while not busy.is_set():
            pass

    def on_call(leg: CallLeg) -> None:
        try:
            leg.answer()
            started, count = time.monotonic(), 0
            while leg.live and time.monotonic() - started < 15:
                leg.start_playing(prompts[count % 4])
                time.sleep(0.062 + 0.02 * (count % 4))  # the prompt's length, and a hair
                count += 1
            swapped.append(count)
        finally:
            done.set()

    hogs = [threading.Thread(target=keep_the_gil_busy, daemon=True) for _ in range(2)]
    for hog in hogs:
        hog.start()
    try:
        line = start_line(on_call)
        caller = scenarios.call([scenarios.pause(500)], bye_timeout_ms=60000)
        scenario = scenarios.write(tmp_path / "caller.xml", caller)
        run = Sipp(scenario, f"127.0.0.1:{line.settings.port}", work_dir=tmp_path, timeout=90).run()
    finally:
        busy.set()
    assert done.wait(30)
    assert run.returncode == 0, run.explain()
    assert swapped and swapped[0] >= 50, swapped
