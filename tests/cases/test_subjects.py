"""PIPL subject requests: a supervisor finds what is held about a caller, exports it, erases what may be erased."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from hotline.audit import AuditEntry
from hotline.cases.models import CaseNote, SubjectRequest
from hotline.privacy import phone_lookup_hash
from hotline.telephony.models import Call
from hotline.telephony.providers import RecordingProvider
from tests.cases.helpers import NOW, NUMBER, make_case
from tests.conftest import csrf_token, log_in

ASKED = {"phone": "138 1234 5678", "requested_by": "本人（身份证已核对）"}


@pytest.fixture
def held(db_session: Any) -> dict[str, Any]:
    """A caller with an old closed case (with a note and a recorded call), a recent closed one and an open one."""
    old = make_case(db_session, "HL-OLD", status="closed", closed_at=NOW - timedelta(days=400), caller_name="李大爷")
    recent = make_case(db_session, "HL-HOLD", status="closed", closed_at=NOW - timedelta(days=30))
    still_open = make_case(db_session, "HL-OPEN")
    other = make_case(db_session, "HL-SOMEONE-ELSE", phone="+8613900000000", summary="别人的事")
    call = Call(
        call_sid="CA-subject",
        from_number=NUMBER,
        from_hash=phone_lookup_hash(NUMBER),
        case_id=old.id,
        recording_sid="RE" + "3" * 32,
        recording_url="https://api.twilio.com/x",
        created_at=NOW - timedelta(days=420),
    )
    db_session.add_all([call, CaseNote(case_id=old.id, body="老人说儿子不来看他")])
    db_session.commit()
    return {"old": old, "recent": recent, "open": still_open, "other": other, "call": call}


@pytest.fixture
def provider(app: Flask) -> Any:
    saved = app.extensions.get("hotline_telephony")
    app.extensions["hotline_telephony"] = recording = RecordingProvider()
    yield recording
    app.extensions["hotline_telephony"] = saved


def test_only_supervisors_serve_requests(client: Any, make_user: Any, held: Any) -> None:
    for role in ("worker", "manager", "admin"):
        log_in(client, make_user(role))
        assert client.get("/cases/subjects").status_code == 403, role
    log_in(client, make_user("supervisor"))
    page = client.get("/cases/subjects").get_data(as_text=True)
    assert "个人信息请求" in page  # Chinese by default
    assert client.post("/cases/subjects/find", data=ASKED).status_code == 400  # no CSRF token


def test_finding_what_is_held_is_audited_and_recorded(client: Any, db_session: Any, make_user: Any, held: Any) -> None:
    supervisor = make_user("supervisor")
    log_in(client, supervisor)
    token = csrf_token(client, "/cases/subjects")
    page = client.post("/cases/subjects/find", data={**ASKED, "csrf_token": token}).get_data(as_text=True)
    assert "HL-OLD" in page and "HL-HOLD" in page and "HL-OPEN" in page and "HL-SOMEONE-ELSE" not in page
    request = db_session.scalar(select(SubjectRequest))
    assert (request.kind, request.subject, request.requested_by, request.served_by_id) == (
        "access",
        "138****5678",
        "本人（身份证已核对）",
        supervisor.id,
    )
    assert request.result["found"]["cases"] == 3 and request.result["found"]["recordings"] == 1
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "subject.access"))
    assert entry.actor_id == supervisor.id and "13812345678" not in json.dumps(entry.detail)


def open_archive(response: Any) -> tuple[dict[str, Any], zipfile.ZipFile]:
    """Return the export's JSON document and the zip it came in."""
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"] and ".zip" in response.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    response.close()  # a server closes the archive's file once sent; the test client leaves it to us
    return json.loads(archive.read("personal-data.json")), archive


def test_the_export_is_a_zip_with_the_json_copy_for_the_person(
    client: Any, db_session: Any, make_user: Any, held: Any, provider: Any
) -> None:
    log_in(client, make_user("supervisor"))
    token = csrf_token(client, "/cases/subjects")
    response = client.post("/cases/subjects/export", data={**ASKED, "csrf_token": token})
    assert response.headers["Cache-Control"] == "no-store"
    document, archive = open_archive(response)
    assert document["about"] == NUMBER and {case["reference"] for case in document["cases"]} == {
        "HL-OLD",
        "HL-HOLD",
        "HL-OPEN",
    }
    old = next(case for case in document["cases"] if case["reference"] == "HL-OLD")
    assert old["caller_name"] == "李大爷" and old["notes"][0]["text"] == "老人说儿子不来看他"
    recording = document["calls"][0]["recording"]
    assert recording["id"] == "RE" + "3" * 32 and recording["file"] == f"recordings/{recording['id']}.wav"
    assert archive.read(recording["file"])[:4] == b"RIFF"  # the simulator's tone: nothing real was recorded
    assert db_session.scalar(select(SubjectRequest.kind)) == "export"


def test_erasure_takes_closed_cases_past_the_legal_hold_only(
    client: Any, db_session: Any, make_user: Any, held: Any, provider: Any
) -> None:
    import time_machine

    log_in(client, make_user("supervisor"))
    token = csrf_token(client, "/cases/subjects")
    unconfirmed = client.post("/cases/subjects/erase", data={**ASKED, "csrf_token": token})
    assert unconfirmed.status_code == 422
    with time_machine.travel(NOW, tick=False):
        log_in(client, make_user("supervisor"))
        token = csrf_token(client, "/cases/subjects")
        done = client.post("/cases/subjects/erase", data={**ASKED, "confirm": "y", "csrf_token": token})
    assert done.status_code == 200
    db_session.expire_all()
    old, call = held["old"], held["call"]
    assert (old.caller_name, old.caller_phone, old.caller_phone_hash, old.summary) == (None, None, None, None)
    assert db_session.scalar(select(CaseNote.body).where(CaseNote.case_id == old.id)) == ""
    assert (call.from_number, call.from_hash, call.recording_sid) == (None, None, None)
    assert provider.deleted_recordings == ["RE" + "3" * 32]
    assert held["recent"].caller_phone == NUMBER and held["open"].caller_phone == NUMBER
    assert held["other"].summary == "别人的事"
    request = db_session.scalar(select(SubjectRequest).where(SubjectRequest.kind == "erase"))
    assert request.result["erased_cases"] == ["HL-OLD"]
    assert request.result["kept_cases"] == {"HL-HOLD": "legal_hold", "HL-OPEN": "open"}
    assert db_session.scalar(select(AuditEntry).where(AuditEntry.action == "subject.erase")) is not None


def test_the_legal_hold_is_a_setting(db_session: Any, make_user: Any, held: Any) -> None:
    from hotline.cases import subjects
    from hotline.cases.retention import save_periods

    supervisor = make_user("supervisor")
    save_periods(db_session, {"legal_hold_days": 7}, make_user("manager").id, NOW)
    erasure = subjects.erase(db_session, NUMBER, "本人", supervisor, NOW, RecordingProvider())
    assert sorted(erasure.erased_cases) == ["HL-HOLD", "HL-OLD"] and erasure.kept_cases == {"HL-OPEN": "open"}


def test_the_export_carries_the_recordings_fetched_from_the_phone_network(
    app: Flask, client: Any, db_session: Any, make_user: Any, held: Any
) -> None:
    """End to end: the Twilio provider fetches each recording from the Twilio-compatible server's Recordings."""
    from hotline.gateway import start_gateway
    from hotline.gateway.interpreter import Recording
    from hotline.gateway.rest import recording_media
    from hotline.telephony.provider_impls import TwilioProvider

    account, auth_token = "AC" + "5" * 32, "subject-token"
    kept, gone = "RE" + "3" * 32, "RE" + "4" * 32
    held["call"].recording_url = f"https://api.twilio.com/2010-04-01/Accounts/{account}/Recordings/{kept}"
    lost = Call(
        call_sid="CA-subject-lost",
        from_number=NUMBER,
        from_hash=phone_lookup_hash(NUMBER),
        recording_sid=gone,
        recording_url=f"https://api.twilio.com/2010-04-01/Accounts/{account}/Recordings/{gone}",
        created_at=NOW - timedelta(days=10),
    )
    db_session.add(lost)
    db_session.commit()
    saved = app.extensions.get("hotline_telephony")
    with start_gateway("http://127.0.0.1:9", "https://hotline.example.org", auth_token, account) as network:
        network.network.recordings.append(Recording(kept, "CA-subject", "", 12, "", NOW - timedelta(days=420)))
        app.extensions["hotline_telephony"] = TwilioProvider(
            account, auth_token, "+862288880000", api_base_url=network.rest_url
        )
        try:
            supervisor = make_user("supervisor")
            log_in(client, supervisor)
            token = csrf_token(client, "/cases/subjects")
            response = client.post("/cases/subjects/export", data={**ASKED, "csrf_token": token})
        finally:
            app.extensions["hotline_telephony"] = saved
        fetches = network.rest.requests_to("GET", r"/Recordings/RE\d+\.mp3$")
    document, archive = open_archive(response)
    by_id = {call["recording"]["id"]: call["recording"] for call in document["calls"] if call["recording"]}
    assert by_id[kept]["file"] == f"recordings/{kept}.mp3" and by_id[gone]["file"] is None
    assert archive.read(f"recordings/{kept}.mp3") == recording_media(kept, "mp3")
    assert sorted(archive.namelist()) == ["personal-data.json", f"recordings/{kept}.mp3"]
    assert {fetch.username for fetch in fetches} == {account} and len(fetches) == 2
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "subject.export"))
    assert entry.actor_id == supervisor.id
    assert entry.detail["recordings_included"] == [kept] and entry.detail["recordings_unavailable"] == [gone]
    assert NUMBER not in json.dumps(entry.detail)
