"""The SIP backend plays a station's recorded prompt: the <Play> of the app's TwiML resolves to the stored audio.

The app runs on a live server; its incoming-call TwiML holds the signed URL of the
uploaded greeting; the SIP backend's renderer (what `SipMedia.play` calls for a <Play>)
fetches it over HTTP and plays the very frames that were stored.
"""

from __future__ import annotations

import io
import subprocess
import time
import wave
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import requests
import time_machine
from flask import Flask

from hotline.extensions import db
from hotline.gateway.media.backend import Prompt
from hotline.gateway.sip.prompts import Prompts
from hotline.telephony import prompts
from tests.gateway.sip import scenarios
from tests.gateway.sip.conftest import needs_raw_sockets, needs_sipp, tone
from tests.gateway.sip.test_hotline_line import sip_line
from tests.support.ports import free_udp_port
from tests.support.rtp import RtpCounter
from tests.support.signing import twilio_signature
from tests.support.sipp import Sipp
from tests.support.waiting import until
from tests.telephony.test_manage_routes import NOON


def frames(path_or_bytes: Path | bytes) -> tuple[int, int, bytes]:
    """Return (rate, channels, frames) of a WAV."""
    source = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else str(path_or_bytes)
    with wave.open(source, "rb") as sound:
        return sound.getframerate(), sound.getnchannels(), sound.readframes(sound.getnframes())


def test_the_sip_backend_plays_the_uploaded_prompt(app: Flask, live_server: Any, tmp_path: Path) -> None:
    spoken = tmp_path / "greeting.wav"
    subprocess.run(["espeak-ng", "-v", "cmn", "-w", str(spoken), "--", "您好"], check=True, timeout=60)
    saved = app.config["PUBLIC_BASE_URL"]
    app.config["PUBLIC_BASE_URL"] = live_server.url
    try:
        with time_machine.travel(NOON, tick=True):
            with app.app_context():
                recording = prompts.upload(db.session, "greeting", "greeting.wav", spoken.read_bytes(), None, NOON)
                stored = recording.content
                db.session.remove()
            path = "/twilio/voice/incoming"
            params = {"CallSid": "CA" + "7" * 32, "From": "+8613812345678", "To": "+862222292209"}
            with app.test_request_context():
                signature = twilio_signature(app, path, params)
            twiml = requests.post(
                live_server.url + path, data=params, headers={"X-Twilio-Signature": signature}, timeout=10
            )
            url = next(element.text for element in ElementTree.fromstring(twiml.text).iter("Play"))
            renderer = Prompts(tmp_path / "cache")
            played, seconds = renderer.render(Prompt("play", url=url))
            assert frames(played) == frames(stored) and seconds > 0.3
            forged = url.replace("signature=", "signature=f")
            assert renderer.render(Prompt("play", url=forged))[0] == renderer.fault_tone  # a tone, never silence
    finally:
        app.config["PUBLIC_BASE_URL"] = saved


@needs_sipp
@needs_raw_sockets
def test_a_sip_caller_hears_the_uploaded_greeting(app: Flask, live_server: Any, tmp_path: Path) -> None:
    """sipp calls the line: the gateway plays the stored greeting (<Play> of its signed URL) as RTP to the caller."""
    greeting = tone(tmp_path / "greeting.wav", 2.0, 1000.0)
    with time_machine.travel(NOON, tick=True), sip_line(app, live_server, tmp_path, free_udp_port()) as (line, gateway):
        with app.app_context():
            stored = prompts.upload(db.session, "greeting", "tone.wav", greeting.read_bytes(), None, NOON).content
            db.session.remove()
        caller_xml = scenarios.call([scenarios.pause(5000)], gateway_hangs_up=False)
        caller = Sipp(scenarios.write(tmp_path / "caller.xml", caller_xml), f"127.0.0.1:{gateway.line.settings.port}")
        caller.work_dir = tmp_path
        with RtpCounter() as rtp:
            started = time.monotonic()
            caller_process = caller.start()
            call = until(lambda: next(iter(gateway.network.calls.values()), None), timeout=60)
            played = until(lambda: call.events("play"), timeout=60)
            caller_output = caller_process.communicate(timeout=120)[0]
            heard = rtp.voiced_since(caller.media_port, started)
    assert caller_process.returncode == 0, caller_output[-3000:]
    assert "/media/prompts/greeting/" in played[0].url
    cached = gateway.media.prompts.fetch(played[0].url)  # what the backend played: fetched once, from its cache
    assert frames(cached) == frames(stored)
    assert heard >= 50, "the caller heard the greeting (2 s is 100 packets of 20 ms)"
    assert not gateway.network.errors
