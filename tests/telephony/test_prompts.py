"""Recorded prompts: uploaded WAV and MP3 converted to 8 kHz mono, refused files, signed <Play> URLs, <Say> fallback."""

from __future__ import annotations

import io
import subprocess
import wave
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree

import pytest
import time_machine
from sqlalchemy import select

from hotline.audit import AuditEntry
from hotline.telephony import prompts
from hotline.telephony.line_settings import load_line_settings
from hotline.telephony.models import PromptRecording
from tests.conftest import csrf_token
from tests.telephony.conftest import said
from tests.telephony.test_manage_routes import NOON, form_data, manager_in_english


def spoken(tmp_path: Path, suffix: str, text: str = "您好,这里是社会工作服务热线。") -> bytes:
    """Speak Mandarin with espeak-ng (22 kHz WAV), converted by sox when an MP3 is wanted."""
    wav = tmp_path / "spoken.wav"
    subprocess.run(["espeak-ng", "-v", "cmn", "-w", str(wav), "--", text], check=True, timeout=60)
    if suffix == ".wav":
        return wav.read_bytes()
    target = tmp_path / f"spoken{suffix}"
    subprocess.run(["sox", str(wav), str(target)], check=True, timeout=60)
    return target.read_bytes()


def line_format(content: bytes) -> tuple[int, int, int, float]:
    """Return (rate, channels, sample width, seconds) of a WAV."""
    with wave.open(io.BytesIO(content), "rb") as sound:
        rate = sound.getframerate()
        return rate, sound.getnchannels(), sound.getsampwidth(), sound.getnframes() / rate


def upload(client: Any, name: str, filename: str, content: bytes, **changes: Any) -> Any:
    """Post the settings form with one prompt's file."""
    data = form_data(csrf_token(client, "/manage/telephony"), **changes)
    data[f"upload_{name}"] = (io.BytesIO(content), filename)
    return client.post("/manage/telephony", data=data, content_type="multipart/form-data")


def play_urls(response: Any) -> list[str]:
    root = ElementTree.fromstring(response.get_data(as_text=True))
    return [(element.text or "").strip() for element in root.iter("Play")]


@pytest.mark.parametrize("suffix", [".wav", ".mp3"])
def test_an_uploaded_prompt_is_stored_as_8_khz_mono_and_audited(
    login_as: Any, db_session: Any, tmp_path: Path, suffix: str
) -> None:
    client = manager_in_english(login_as)
    response = upload(client, "greeting", f"welcome{suffix}", spoken(tmp_path, suffix))
    assert response.status_code == 302
    recording = db_session.scalars(select(PromptRecording).where(PromptRecording.name == "greeting")).one()
    rate, channels, width, seconds = line_format(recording.content)
    assert (rate, channels, width) == (8000, 1, 2) and 1 < seconds < 10
    assert recording.source_type == ("audio/mpeg" if suffix == ".mp3" else "audio/wav")
    settings = load_line_settings(db_session)
    assert settings.recordings["greeting"]["version"] == recording.version
    assert settings.prompt("greeting").text  # the text stays beside the recording
    actions = db_session.scalars(select(AuditEntry.action).where(AuditEntry.target == "prompt:greeting")).all()
    assert actions == ["telephony.prompt.upload"]
    page = client.get("/manage/telephony").get_data(as_text=True)
    assert f"welcome{suffix}" in page and "/manage/telephony/prompts/greeting/audio" in page
    listened = client.get("/manage/telephony/prompts/greeting/audio")
    assert listened.status_code == 200 and listened.mimetype == "audio/wav"
    assert listened.data == recording.content


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"%PDF-1.4 not audio", "Only WAV or MP3 files can be used."),
        (b"RIFF\x00\x00\x00\x00WAVEjunk that sox cannot read", "The audio in this file cannot be read"),
        (b"", "The file is empty."),
    ],
)
def test_a_refused_file_keeps_the_form_and_stores_nothing(
    login_as: Any, db_session: Any, content: bytes, message: str
) -> None:
    client = manager_in_english(login_as)
    typed = {"prompt_menu": "新的菜单文字,请按1。", "voice": "Polly.Zhiyu-Neural"}
    response = upload(client, "menu", "menu.wav", content, **typed)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page
    assert "新的菜单文字,请按1。" in page and "Polly.Zhiyu-Neural" in page  # what was typed is kept
    assert db_session.scalars(select(PromptRecording)).all() == []
    settings = load_line_settings(db_session)
    assert settings.recordings == {} and settings.voice == "Polly.Zhiyu"  # nothing half-stored


def test_a_file_too_large_is_refused(login_as: Any, db_session: Any, monkeypatch: Any, tmp_path: Path) -> None:
    monkeypatch.setattr(prompts, "MAX_BYTES", 1000)
    client = manager_in_english(login_as)
    response = upload(client, "menu", "menu.wav", spoken(tmp_path, ".wav"))
    assert response.status_code == 422
    assert "The file is larger than" in response.get_data(as_text=True)
    assert db_session.scalars(select(PromptRecording)).all() == []


def test_the_webhook_plays_a_signed_url_that_serves_the_recording(
    app: Any, login_as: Any, db_session: Any, client: Any, twilio_post: Any, tmp_path: Path
) -> None:
    with time_machine.travel(NOON, tick=False):
        manager = manager_in_english(login_as)
        assert upload(manager, "greeting", "welcome.mp3", spoken(tmp_path, ".mp3")).status_code == 302
        response = twilio_post("/twilio/voice/incoming", CallSid="CA" + "1" * 32, From="+8613812345678", To="+86222")
        assert response.status_code == 200
        urls = play_urls(response)
        assert len(urls) == 1 and urls[0].startswith(app.config["PUBLIC_BASE_URL"].rstrip("/") + "/media/prompts/")
        assert "privacy" not in urls[0] and "为了更好地为您服务" in said(response)  # the others are still spoken
        url = urlsplit(urls[0])
        path = f"{url.path}?{url.query}"
        anonymous = app.test_client()  # Twilio and the gateway carry no cookie
        served = anonymous.get(path)
        assert served.status_code == 200 and served.mimetype == "audio/wav"
        rate, channels, _, seconds = line_format(served.data)
        assert (rate, channels) == (8000, 1) and seconds > 1
        assert "public" in served.headers["Cache-Control"]
        forged = path.replace("signature=", "signature=0")
        assert anonymous.get(forged).status_code == 403
        assert anonymous.get(path.replace("/greeting/", "/menu/")).status_code == 403
        assert anonymous.get(url.path).status_code == 403  # no signature
    with time_machine.travel(NOON + timedelta(hours=2), tick=False):
        assert anonymous.get(path).status_code == 403  # expired


def test_a_replaced_or_deleted_recording_is_gone_from_its_old_url(
    app: Any, login_as: Any, db_session: Any, client: Any, twilio_post: Any, tmp_path: Path
) -> None:
    with time_machine.travel(NOON, tick=False):
        manager = manager_in_english(login_as)
        upload(manager, "greeting", "one.wav", spoken(tmp_path, ".wav", "第一"))
        first = play_urls(twilio_post("/twilio/voice/incoming", CallSid="CA" + "2" * 32, From="+8613812345678"))[0]
        upload(manager, "greeting", "two.wav", spoken(tmp_path, ".wav", "第二个录音"))
        second = play_urls(twilio_post("/twilio/voice/incoming", CallSid="CA" + "3" * 32, From="+8613812345678"))[0]
        assert first != second
        assert client.get(urlsplit(first).path + "?" + urlsplit(first).query).status_code == 404
        assert client.get(urlsplit(second).path + "?" + urlsplit(second).query).status_code == 200
        token = csrf_token(manager, "/manage/telephony")
        deleted = manager.post("/manage/telephony/prompts/greeting/delete", data={"csrf_token": token})
        assert deleted.status_code == 302
        assert client.get(urlsplit(second).path + "?" + urlsplit(second).query).status_code == 404
        response = twilio_post("/twilio/voice/incoming", CallSid="CA" + "4" * 32, From="+8613812345678")
        assert play_urls(response) == [] and "您好，这里是社会工作服务热线。" in said(response)  # back to <Say>
    actions = db_session.scalars(
        select(AuditEntry.action).where(AuditEntry.target == "prompt:greeting").order_by(AuditEntry.id)
    ).all()
    assert actions == ["telephony.prompt.upload", "telephony.prompt.replace", "telephony.prompt.delete"]


def test_without_recordings_every_prompt_is_spoken(twilio_post: Any) -> None:
    with time_machine.travel(NOON, tick=False):
        response = twilio_post("/twilio/voice/incoming", CallSid="CA" + "5" * 32, From="+8613812345678")
    assert play_urls(response) == [] and "您好" in said(response)


def test_the_hot_path_reads_no_recording(app: Any, login_as: Any, db_session: Any, tmp_path: Path) -> None:
    """The webhooks learn of recordings from the settings copy: signing needs no query."""
    settings = load_line_settings(db_session)
    settings.recordings = {"menu": {"version": "a" * 32, "seconds": 2.0}}
    now = datetime(2025, 3, 10, 4, 0, tzinfo=UTC)
    prompts.sign_recordings(settings, "secret", "https://hotline.example.org", now)
    url = settings.recording_urls["menu"]
    assert url.startswith("https://hotline.example.org/media/prompts/menu/" + "a" * 32 + ".wav?expires=")
    prompts.sign_recordings(settings, "secret", "https://hotline.example.org", now + timedelta(minutes=5))
    assert settings.recording_urls["menu"] == url  # the same URL for a while: caches keep the audio
    expires = int(url.split("expires=")[1].split("&")[0])
    assert expires - now.timestamp() >= prompts.URL_LIFETIME_SECONDS


def test_listening_and_deleting_need_a_manager(login_as: Any) -> None:
    worker = login_as("worker")
    assert worker.get("/manage/telephony/prompts/greeting/audio").status_code == 403


def test_the_post_call_question_plays_its_recording(app: Any, db_session: Any, client: Any, tmp_path: Path) -> None:
    from tests.support.signing import signed_post

    with time_machine.travel(NOON, tick=False):
        prompts.upload(db_session, "survey_question", "rate.wav", spoken(tmp_path, ".wav", "请打分"), None, NOON)
        asked = signed_post(app, client, "/twilio/survey/CA-rate", {"CallSid": "CA-rate"})
        thanks = signed_post(app, client, "/twilio/survey/CA-rate/answer?attempt=1", {"Digits": "9"})
    urls = play_urls(asked)
    assert len(urls) == 1 and "/media/prompts/survey_question/" in urls[0]
    assert "<Gather" in asked.get_data(as_text=True)
    assert "请按1到5之间的数字" in said(thanks) and len(play_urls(thanks)) == 1  # the lead is spoken, then played


def test_a_webhook_reads_no_recording_from_the_database(
    app: Any, login_as: Any, db_session: Any, twilio_post: Any, tmp_path: Path
) -> None:
    """The recording's URL comes from the settings copy: the webhook never queries prompt_recordings."""
    from sqlalchemy import event

    with time_machine.travel(NOON, tick=False):
        manager = manager_in_english(login_as)
        upload(manager, "greeting", "welcome.wav", spoken(tmp_path, ".wav"))
        statements: list[str] = []

        def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            statements.append(statement)

        engine = db_session.get_bind()
        event.listen(engine, "before_cursor_execute", seen)
        try:
            response = twilio_post("/twilio/voice/incoming", CallSid="CA" + "6" * 32, From="+8613812345678")
        finally:
            event.remove(engine, "before_cursor_execute", seen)
    assert len(play_urls(response)) == 1
    assert statements and not [s for s in statements if "prompt_recordings" in s]


def test_the_apology_webhook_gives_the_gateway_the_recording_else_the_text(
    app: Any, login_as: Any, db_session: Any, twilio_post: Any, tmp_path: Path
) -> None:
    with time_machine.travel(NOON, tick=False):
        spoken_answer = twilio_post("/twilio/voice/apology", AccountSid=app.config["TWILIO_ACCOUNT_SID"])
        assert play_urls(spoken_answer) == [] and "很抱歉" in said(spoken_answer)
        manager = manager_in_english(login_as)
        assert upload(manager, "apology", "sorry.wav", spoken(tmp_path, ".wav", "对不起")).status_code == 302
        played = twilio_post("/twilio/voice/apology", AccountSid=app.config["TWILIO_ACCOUNT_SID"])
    (url,) = play_urls(played)
    assert "/media/prompts/apology/" in url and "<Hangup" in played.get_data(as_text=True)
