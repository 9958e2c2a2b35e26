"""TwiML on real SIP calls: the gateway's interpreter with the SIP media, sipp as caller and as phone."""

from __future__ import annotations

import array
import math
import time
import wave
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from hotline.gateway.sip.runner import SipGateway
from tests.conftest import LiveServer
from tests.gateway.sip import scenarios
from tests.gateway.sip.conftest import line_settings, needs_raw_sockets, needs_sipp
from tests.gateway.twiml_app import ACCOUNT, PUBLIC, TOKEN, AppRecord
from tests.support.ports import free_port, free_udp_port
from tests.support.rtp import LOUD_RMS, RtpCounter
from tests.support.sipp import Sipp
from tests.support.waiting import until

pytestmark = [needs_sipp, needs_raw_sockets]


@pytest.fixture
def phone_port() -> int:
    """The port the sipp 'phone' (the number a <Dial> rings) listens on."""
    return free_udp_port()


@pytest.fixture
def start_gateway(app_url: str, tmp_path: Path, phone_port: int) -> Iterator[Callable[..., SipGateway]]:
    """Start SIP gateways against the tiny TwiML app; numbers ring the sipp phone."""
    running: list[SipGateway] = []

    def start(voice_url: str = "/voice/incoming", **changes: object) -> SipGateway:
        settings = line_settings(number_uri=f"sip:{{number}}@127.0.0.1:{phone_port}", **changes)
        gateway = SipGateway(
            app_url,
            PUBLIC,
            TOKEN,
            ACCOUNT,
            settings,
            tmp_path / "prompts",
            rest_port=free_port(),
            status_callback_url="/voice/status",
            voice_url=voice_url,
        )
        running.append(gateway.start())
        return gateway

    yield start
    for gateway in running:
        gateway.stop()


@pytest.fixture
def gateway(start_gateway: Callable[..., SipGateway]) -> SipGateway:
    """A SIP gateway against the tiny TwiML app's menu."""
    return start_gateway()


def test_a_key_during_the_menu_dials_a_number_and_audio_flows_both_ways(
    gateway: SipGateway, record: AppRecord, tmp_path: Path, phone_port: int
):
    phone = Sipp(
        scenarios.write(tmp_path / "phone.xml", scenarios.answering_phone([scenarios.audio()])),
        "127.0.0.1:1",
        sip_port=phone_port,
        work_dir=tmp_path,
    )
    steps = [scenarios.pause(800), scenarios.rfc2833("3"), scenarios.pause(2500), scenarios.audio()]
    steps += [scenarios.pause(8000)]
    caller_scenario = scenarios.call(steps, gateway_hangs_up=False)
    caller = Sipp(scenarios.write(tmp_path / "caller.xml", caller_scenario), f"127.0.0.1:{gateway.line.settings.port}")
    caller.work_dir = tmp_path
    with RtpCounter() as rtp:
        phone_process = phone.start()
        run = caller.run()
        phone_output = phone_process.communicate(timeout=30)[0]
    assert run.returncode == 0, run.explain()
    assert phone_process.returncode == 0, phone_output[-3000:]
    until(lambda: record.posted("/voice/dial-done"), timeout=10)
    dial_done = record.posted("/voice/dial-done")[0]
    assert dial_done["DialCallStatus"] == "completed" and dial_done["DialBridged"] == "true"
    assert record.posted("/voice/menu")[0]["Digits"] == "3"
    assert rtp.count(phone.media_port) >= 200, "the phone heard the caller"
    assert rtp.count(caller.media_port) >= 200, "the caller heard the phone (and the menu before it)"
    assert not gateway.network.errors


def loud_moments(path: Path) -> list[float]:
    """When (seconds into a WAV file) each 20 ms frame louder than line noise starts."""
    with wave.open(str(path), "rb") as sound:
        rate, frames = sound.getframerate(), sound.readframes(sound.getnframes())
    samples = array.array("h", frames)
    frame = rate // 50
    return [
        start / rate
        for start in range(0, len(samples) - frame, frame)
        if math.sqrt(sum(value * value for value in samples[start : start + frame]) / frame) > LOUD_RMS
    ]


def voiced_seconds(path: Path) -> float:
    """Seconds of a WAV file louder than line noise (20 ms frames)."""
    return len(loud_moments(path)) / 50


def test_voicemail_records_what_the_caller_says_and_the_rest_server_serves_it(
    gateway: SipGateway, record: AppRecord, tmp_path: Path
):
    steps = [scenarios.pause(800), scenarios.rfc2833("2"), scenarios.pause(4000), scenarios.audio()]
    steps += [scenarios.pause(7300), scenarios.sip_info("#")]
    caller = Sipp(
        scenarios.write(tmp_path / "caller.xml", scenarios.call(steps)), f"127.0.0.1:{gateway.line.settings.port}"
    )
    caller.work_dir = tmp_path
    run = caller.run()
    assert run.returncode == 0, run.explain()
    recorded = until(lambda: record.posted("/voice/recorded"), timeout=10)[0]
    assert recorded["Digits"] == "#"
    assert 5 <= int(recorded["RecordingDuration"]) <= 12
    callback = until(lambda: record.posted("/voice/recording"), timeout=10)[0]
    assert callback["RecordingStatus"] == "completed" and callback["RecordingSid"] == recorded["RecordingSid"]
    audio = requests.get(
        f"{gateway.rest_url}/2010-04-01/Accounts/{ACCOUNT}/Recordings/{recorded['RecordingSid']}.wav",
        auth=(ACCOUNT, TOKEN),
        timeout=5,
    )
    assert audio.status_code == 200 and audio.content.startswith(b"RIFF")
    saved = tmp_path / "voicemail.wav"
    saved.write_bytes(audio.content)
    assert voiced_seconds(saved) >= 4.0, "the 4.7 s of sound sipp sent are in the recording"


def test_the_application_failing_gives_an_apology_and_the_fallback_phone_not_silence(
    start_gateway: Callable[..., SipGateway], record: AppRecord, tmp_path: Path, phone_port: int
):
    gateway = start_gateway(fallback="+8613800000009")
    phone = Sipp(
        scenarios.write(tmp_path / "phone.xml", scenarios.answering_phone([scenarios.audio()])),
        "127.0.0.1:1",
        sip_port=phone_port,
        work_dir=tmp_path,
    )
    steps = [scenarios.pause(800), scenarios.rfc2833("9"), scenarios.pause(9000)]
    caller = Sipp(
        scenarios.write(tmp_path / "caller.xml", scenarios.call(steps, gateway_hangs_up=False)),
        f"127.0.0.1:{gateway.line.settings.port}",
        work_dir=tmp_path,
    )
    with RtpCounter() as rtp:
        phone_process = phone.start()
        pressed = time.monotonic()
        run = caller.run()
        phone_output = phone_process.communicate(timeout=30)[0]
    assert run.returncode == 0, run.explain()
    assert phone_process.returncode == 0, "the fallback phone rang and answered: " + phone_output[-2000:]
    assert record.posted("/voice/menu")[0]["Digits"] == "9"
    assert rtp.voiced_since(caller.media_port, pressed + 1.0) >= 50, "the caller heard the apology and the phone"


def test_the_application_stopped_mid_call_gives_the_apology_and_the_fallback_not_silence(
    start_gateway: Callable[..., SipGateway], app_server: LiveServer, tmp_path: Path, phone_port: int
):
    gateway = start_gateway(fallback="+8613800000009")
    phone = Sipp(
        scenarios.write(tmp_path / "phone.xml", scenarios.answering_phone([scenarios.audio()])),
        "127.0.0.1:1",
        sip_port=phone_port,
        work_dir=tmp_path,
    )
    steps = [scenarios.pause(800), scenarios.rfc2833("1"), scenarios.pause(35000)]
    caller = Sipp(
        scenarios.write(tmp_path / "caller.xml", scenarios.call(steps, gateway_hangs_up=False)),
        f"127.0.0.1:{gateway.line.settings.port}",
        work_dir=tmp_path,
        timeout=120,
    )
    with RtpCounter() as rtp:
        phone_process, caller_process = phone.start(), caller.start()
        call = until(lambda: next(iter(gateway.network.calls.values()), None), timeout=60)
        until(lambda: call.events("queue-wait"), timeout=60)
        app_server.stop()  # the application goes away while the caller waits in its queue
        stopped = time.monotonic()
        caller_output = caller_process.communicate(timeout=150)[0]
        phone_output = phone_process.communicate(timeout=60)[0]
    assert caller_process.returncode == 0, caller_output[-3000:]
    assert phone_process.returncode == 0, "the fallback phone rang and answered: " + phone_output[-2000:]
    assert call.events("application-error"), "the next wait round found the application gone"
    assert rtp.voiced_since(caller.media_port, stopped) >= 100, "the caller heard the apology and the phone"


def test_a_gateway_started_after_a_crash_reports_the_calls_it_held(
    start_gateway: Callable[..., SipGateway], record: AppRecord, tmp_path: Path
):
    gateway = start_gateway()
    steps = [scenarios.pause(800), scenarios.rfc2833("1"), scenarios.pause(8000)]
    caller = Sipp(
        scenarios.write(tmp_path / "caller.xml", scenarios.call(steps, gateway_hangs_up=False)),
        f"127.0.0.1:{gateway.line.settings.port}",
        work_dir=tmp_path,
    )
    caller_process = caller.start()
    call = until(lambda: next(iter(gateway.network.calls.values()), None), timeout=60)
    until(lambda: call.events("queue-wait"), timeout=60)
    journal = gateway.journal.path
    # What a gateway killed now would leave behind (this one goes on, and ends the call cleanly).
    left = until(lambda: journal.exists() and call.sid in journal.read_text() and journal.read_text(), timeout=30)
    assert caller_process.communicate(timeout=60)[0] is not None and caller_process.returncode == 0
    until(lambda: not call.is_live, timeout=30)
    gateway.stop()
    assert not journal.exists(), "a clean stop leaves no journal"
    cleanly = [post for post in record.posted("/voice/status") if post["CallSid"] == call.sid]
    journal.write_text(left)
    start_gateway()  # the restart after the crash
    reported = until(lambda: record.posted("/voice/status")[len(cleanly) :], timeout=30)
    assert [post["CallStatus"] for post in cleanly] == ["completed"]
    assert reported[0]["CallSid"] == call.sid and reported[0]["CallStatus"] == "completed"
    assert int(reported[0]["CallDuration"]) >= 0 and reported[0]["From"] == cleanly[0]["From"]
    assert not journal.exists(), "reported once"


@pytest.mark.parametrize(("reason", "status"), [("busy", 486), ("rejected", 603)])
def test_reject_refuses_the_invite_with_486_or_603(start_gateway, app_url, tmp_path: Path, reason: str, status: int):
    gateway = start_gateway(voice_url=f"/voice/reject?reason={reason}")
    scenario = scenarios.write(tmp_path / "refused.xml", scenarios.refused(status))
    run = Sipp(scenario, f"127.0.0.1:{gateway.line.settings.port}", work_dir=tmp_path).run()
    assert run.returncode == 0, run.explain()


def test_a_record_ends_after_its_timeout_of_silence_without_a_key(
    gateway: SipGateway, record: AppRecord, tmp_path: Path
):
    # No key and no hang-up: the caller speaks (4.7 s) and falls silent; <Record>'s default timeout is 5 s.
    steps = [scenarios.pause(800), scenarios.rfc2833("2"), scenarios.pause(4000), scenarios.audio()]
    caller = Sipp(
        scenarios.write(tmp_path / "caller.xml", scenarios.call(steps, bye_timeout_ms=60000)),
        f"127.0.0.1:{gateway.line.settings.port}",
    )
    caller.work_dir = tmp_path
    run = caller.run()
    assert run.returncode == 0, run.explain()  # the gateway hung up after "Your message is saved."
    recorded = until(lambda: record.posted("/voice/recorded"), timeout=10)[0]
    assert recorded.get("Digits", "") == "", "ended by silence, not by a key"
    assert 6 <= int(recorded["RecordingDuration"]) <= 16, "the sound, then 5 s of silence; not maxLength (60)"
