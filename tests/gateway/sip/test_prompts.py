"""The SIP backend plays a station's recorded prompt: the <Play> of the app's TwiML resolves to the stored audio.

The app runs on a live server; its incoming-call TwiML holds the signed URL of the
uploaded greeting; the SIP backend's renderer (what `SipMedia.play` calls for a <Play>)
fetches it over HTTP and plays the very frames that were stored.
"""

from __future__ import annotations

import io
import subprocess
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
from tests.support.signing import twilio_signature
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
