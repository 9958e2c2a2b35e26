"""Listening to a voicemail: who may, the audit row, the media from the Twilio-compatible server, failures."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask, request
from sqlalchemy import select

from hotline.accounts.models import User
from hotline.audit import AuditEntry
from hotline.clock import utcnow
from hotline.console import recordings
from hotline.escalation import triggers
from hotline.escalation.models import Escalation
from hotline.escalation.policies import seed_default_policies
from hotline.gateway import Gateway, start_gateway
from hotline.gateway.interpreter import Recording
from hotline.gateway.rest import recording_media
from hotline.telephony.models import Call
from hotline.telephony.provider_impls import TwilioProvider
from hotline.telephony.providers import RecordingAudio, RecordingProvider
from tests.conftest import log_in

TOKEN = "recording-token"
ACCOUNT = "AC" + "6" * 32
HOTLINE = "+862288880000"
_sids = itertools.count(1)


@pytest.fixture
def fake() -> Iterator[Gateway]:
    with start_gateway("http://127.0.0.1:9", "https://hotline.example.org", TOKEN, ACCOUNT) as server:
        yield server


@pytest.fixture
def twilio(app: Flask, fake: Gateway, recording_provider: Any) -> Iterator[Gateway]:
    """Use the Twilio provider against the local Twilio-compatible server (TELEPHONY=twilio)."""
    saved = app.config["TELEPHONY"]
    app.config["TELEPHONY"] = "twilio"
    app.extensions["hotline_telephony"] = TwilioProvider(ACCOUNT, TOKEN, HOTLINE, api_base_url=fake.rest_url)
    yield fake
    app.config["TELEPHONY"] = saved
    app.extensions["hotline_telephony"] = recording_provider


@pytest.fixture
def make_voicemail(db_session: Any, fake: Gateway) -> Callable[..., Call]:
    """A call that left a 12-second voicemail, known to the fake Twilio; with its callback unless told not."""

    def build(callback: bool = True, worker_id: int | None = None) -> Call:
        number = next(_sids)
        sid, recording_sid = f"CA{number:032d}", f"RE{number:032d}"
        when = datetime(2025, 3, 10, 14, tzinfo=UTC)
        fake.network.recordings.append(Recording(recording_sid, sid, "", 12, "", when))
        call = Call(
            call_sid=sid,
            from_number="+8613812345678",
            status="completed",
            outcome="voicemail",
            worker_id=worker_id,
            recording_sid=recording_sid,
            recording_url=f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Recordings/{recording_sid}",
            recording_seconds=12,
        )
        db_session.add(call)
        db_session.commit()
        if callback:
            seed_default_policies(db_session)
            assert triggers.callback_for_call(db_session, call.id, "voicemail", utcnow()) is not None
        return call

    return build


def listens(db_session: Any) -> list[AuditEntry]:
    return list(db_session.scalars(select(AuditEntry).where(AuditEntry.action == "recording.listen")))


def test_a_worker_hears_the_voicemail_fetched_from_twilio_and_the_listen_is_audited(
    app: Flask, db_session: Any, make_user: Any, twilio: Gateway, make_voicemail: Any
) -> None:
    call = make_voicemail()
    worker = make_user("worker")
    response = log_in(app.test_client(), worker).get(f"/console/calls/{call.id}/recording")
    assert response.status_code == 200
    assert response.mimetype == "audio/mpeg"
    assert response.data == recording_media(call.recording_sid, "mp3")
    assert response.headers["Cache-Control"] == "no-store"
    (fetch,) = twilio.rest.requests_to("GET", r"/Recordings/RE\d+\.mp3$")
    assert fetch.username == ACCOUNT and fetch.path.endswith(f"/Accounts/{ACCOUNT}/Recordings/{call.recording_sid}.mp3")
    (entry,) = listens(db_session)
    assert (entry.actor_id, entry.target) == (worker.id, f"call:{call.id}")
    assert entry.detail == {"recording_sid": call.recording_sid, "simulated": False}


def test_a_seeking_player_gets_the_byte_range_it_asks_for_and_the_sitting_is_audited_once(
    app: Flask, db_session: Any, make_user: Any, twilio: Gateway, make_voicemail: Any
) -> None:
    call = make_voicemail()
    media = recording_media(call.recording_sid, "mp3")
    url = f"/console/calls/{call.id}/recording"
    client = log_in(app.test_client(), make_user("worker"))
    assert client.get(url).headers["Accept-Ranges"] == "bytes"  # the player learns it may seek
    start = client.get(url, headers={"Range": "bytes=0-3"})
    assert (start.status_code, start.data) == (206, b"ID3\x04")
    seek = client.get(url, headers={"Range": "bytes=10-"})
    assert seek.status_code == 206 and seek.data == media[10:] and seek.mimetype == "audio/mpeg"
    assert seek.headers["Content-Range"] == f"bytes 10-{len(media) - 1}/{len(media)}"
    assert seek.headers["Cache-Control"] == "no-store"
    assert client.get(url, headers={"Range": f"bytes={len(media) + 5}-"}).status_code == 416
    assert len(twilio.rest.requests_to("GET", r"/Recordings/RE\d+\.mp3$")) == 4  # every request checked and fetched
    assert len(listens(db_session)) == 1  # one sitting, one audit row


def test_listens_are_audited_once_per_user_and_sitting(db_session: Any, make_user: Any, make_voicemail: Any) -> None:
    call = make_voicemail()
    worker, supervisor = make_user("worker"), make_user("supervisor")
    at = datetime(2025, 3, 10, 15, tzinfo=UTC)
    for user, minutes in ((worker, 0), (worker, 9), (supervisor, 9), (worker, 20)):
        recordings.listen(db_session, call.id, user, RecordingProvider(), at + timedelta(minutes=minutes))
    rows = sorted((entry.at.replace(tzinfo=UTC), entry.actor_id) for entry in listens(db_session))
    expected = [(at, worker.id), (at + timedelta(minutes=9), supervisor.id), (at + timedelta(minutes=20), worker.id)]
    assert rows == sorted(expected)


def test_a_range_of_a_recording_too_long_to_hold_is_answered_with_the_whole_media(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    chunks = [b"a" * 10, b"b" * 10, b"c" * 10]
    monkeypatch.setattr(recordings, "MAX_SEEKABLE_BYTES", 15)
    with app.test_request_context(headers={"Range": "bytes=5-"}):
        response = recordings.audio_response(RecordingAudio("audio/mpeg", iter(chunks)), request)
    assert response.status_code == 200 and b"".join(response.response) == b"".join(chunks)


def test_anonymous_users_are_sent_to_log_in(app: Flask, db_session: Any, make_voicemail: Any) -> None:
    call = make_voicemail()
    response = app.test_client().get(f"/console/calls/{call.id}/recording")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_worker_with_no_part_in_the_call_is_refused(
    app: Flask, db_session: Any, make_user: Any, twilio: Gateway, make_voicemail: Any
) -> None:
    call = make_voicemail(callback=False, worker_id=make_user("worker").id)
    response = log_in(app.test_client(), make_user("worker")).get(f"/console/calls/{call.id}/recording")
    assert response.status_code == 403
    assert twilio.rest.requests == [] and listens(db_session) == []
    # The call's own worker and a supervisor may listen.
    own = db_session.get(User, call.worker_id)
    assert log_in(app.test_client(), own).get(f"/console/calls/{call.id}/recording").status_code == 200
    assert (
        log_in(app.test_client(), make_user("supervisor")).get(f"/console/calls/{call.id}/recording").status_code == 200
    )


def test_a_call_without_a_recording_is_not_found(app: Flask, db_session: Any, make_user: Any) -> None:
    call = Call(call_sid=f"CA{next(_sids):032d}", status="completed")
    db_session.add(call)
    db_session.commit()
    client = log_in(app.test_client(), make_user("supervisor"))
    assert client.get(f"/console/calls/{call.id}/recording").status_code == 404
    assert client.get("/console/calls/999999/recording").status_code == 404
    assert listens(db_session) == []


def test_twilio_unreachable_answers_502_with_a_message(
    app: Flask, db_session: Any, make_user: Any, twilio: Gateway, make_voicemail: Any
) -> None:
    call = make_voicemail()
    client = log_in(app.test_client(), make_user("worker"))
    twilio.rest.fail(503, times=1)
    failing = client.get(f"/console/calls/{call.id}/recording", headers={"Accept-Language": "en"})
    assert failing.status_code == 502
    assert "could not be fetched from the phone network" in failing.get_data(as_text=True)
    app.extensions["hotline_telephony"] = TwilioProvider(
        ACCOUNT, TOKEN, HOTLINE, api_base_url="http://127.0.0.1:9", timeout=2
    )
    unreachable = client.get(f"/console/calls/{call.id}/recording")
    assert unreachable.status_code == 502 and "twilio.com" not in unreachable.get_data(as_text=True)
    assert listens(db_session) == []


def test_the_simulator_plays_a_generated_tone_and_says_so(
    app: Flask, db_session: Any, make_user: Any, make_voicemail: Any
) -> None:
    call = make_voicemail()
    response = log_in(app.test_client(), make_user("worker")).get(f"/console/calls/{call.id}/recording")
    assert response.status_code == 200 and response.mimetype == "audio/wav" and response.data[:4] == b"RIFF"
    assert [entry.detail["simulated"] for entry in listens(db_session)] == [True]


def test_the_call_page_shows_the_player_without_the_twilio_url(
    app: Flask, db_session: Any, make_user: Any, twilio: Gateway, make_voicemail: Any
) -> None:
    call = make_voicemail()
    page = log_in(app.test_client(), make_user("supervisor")).get(
        f"/console/calls/{call.id}", headers={"Accept-Language": "en"}
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f'<audio controls preload="none" src="/console/calls/{call.id}/recording">' in html
    assert "0:12" in html and "twilio.com" not in html and call.recording_sid not in html
    assert twilio.rest.requests == []  # preload="none": nothing is fetched until the worker presses play


def test_the_callback_page_shows_the_player_to_any_worker(
    app: Flask, db_session: Any, make_user: Any, make_voicemail: Any
) -> None:
    call = make_voicemail()
    chain = escalation_of(db_session, call)
    page = log_in(app.test_client(), make_user("worker")).get(f"/escalation/{chain}", headers={"Accept-Language": "en"})
    html = page.get_data(as_text=True)
    assert f'src="/console/calls/{call.id}/recording"' in html and "0:12" in html
    assert "nothing was really recorded" in html  # the simulator says its audio is a tone


def escalation_of(db_session: Any, call: Call) -> int:
    return db_session.scalar(select(Escalation.id).where(Escalation.call_id == call.id))


def test_the_player_is_labelled_in_chinese(app: Flask, db_session: Any, make_user: Any, make_voicemail: Any) -> None:
    call = make_voicemail()
    page = log_in(app.test_client(), make_user("supervisor")).get(
        f"/console/calls/{call.id}", headers={"Accept-Language": "zh-CN"}
    )
    html = page.get_data(as_text=True)
    assert "语音留言" in html and "时长" in html and "模拟来电" in html
