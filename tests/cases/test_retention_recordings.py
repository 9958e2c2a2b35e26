"""Recordings past their period are deleted from the phone network and forgotten; the job runs at start-up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask
from sqlalchemy import select

from hotline import scheduler
from hotline.audit import AuditEntry
from hotline.cases.retention import run_retention, save_periods
from hotline.gateway import start_gateway
from hotline.gateway.interpreter import Recording
from hotline.telephony.models import Call, CallEvent
from hotline.telephony.provider_impls import TwilioProvider
from hotline.telephony.providers import RecordingProvider, TelephonyError
from tests.cases.helpers import NOW

TOKEN = "retention-token"
ACCOUNT = "AC" + "8" * 32
OLD_SID, NEW_SID = "RE" + "1" * 32, "RE" + "2" * 32


def recorded_call(session: Any, sid: str, recording_sid: str, age_days: int) -> Call:
    """Add a call with a voicemail made `age_days` days before NOW."""
    call = Call(
        call_sid=sid,
        created_at=NOW - timedelta(days=age_days),
        recording_sid=recording_sid,
        recording_url=f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Recordings/{recording_sid}",
        recording_seconds=12,
    )
    session.add(call)
    session.commit()
    return call


@pytest.fixture
def fake() -> Any:
    with start_gateway("http://127.0.0.1:9", "https://hotline.example.org", TOKEN, ACCOUNT) as server:
        for sid in (OLD_SID, NEW_SID):
            server.network.recordings.append(Recording(sid, "CA1", "", 12, "", datetime(2026, 1, 1, tzinfo=UTC)))
        yield server


def test_old_recordings_are_deleted_from_twilio_and_forgotten(app: Flask, db_session: Any, fake: Any) -> None:
    old = recorded_call(db_session, "CA-rec-old", OLD_SID, age_days=91)
    new = recorded_call(db_session, "CA-rec-new", NEW_SID, age_days=30)
    provider = TwilioProvider(ACCOUNT, TOKEN, "+862288880000", api_base_url=fake.rest_url)
    dry = run_retention(db_session, NOW, dry_run=True, provider=provider)
    assert [item.id for item in dry.found["recordings"]] == [old.id] and fake.rest.requests_to(
        "DELETE", "Recordings"
    ) == []
    run_retention(db_session, NOW, dry_run=False, provider=provider)
    assert [request.path.rsplit("/", 1)[-1] for request in fake.rest.requests_to("DELETE", "Recordings")] == [
        f"{OLD_SID}.json"
    ]
    assert [recording.sid for recording in fake.network.recordings] == [NEW_SID]
    db_session.expire_all()
    assert (old.recording_sid, old.recording_url, old.recording_seconds) == (None, None, None)
    assert new.recording_sid == NEW_SID
    event = db_session.scalar(select(CallEvent).where(CallEvent.kind == "recording.deleted"))
    assert event.call_id == old.id
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "retention.run"))
    assert entry.detail["recordings"] == 1


def test_a_recording_already_gone_from_twilio_counts_as_deleted(app: Flask, db_session: Any, fake: Any) -> None:
    gone = recorded_call(db_session, "CA-rec-gone", "RE" + "9" * 32, age_days=100)
    provider = TwilioProvider(ACCOUNT, TOKEN, "+862288880000", api_base_url=fake.rest_url)
    run_retention(db_session, NOW, dry_run=False, provider=provider)
    db_session.expire_all()
    assert gone.recording_sid is None


class RefusingProvider(RecordingProvider):
    """A phone network that is down."""

    def delete_recording(self, recording_sid: str) -> None:
        """Refuse."""
        raise TelephonyError("unreachable", retryable=True)


def test_a_recording_the_network_would_not_delete_is_kept_for_the_next_run(app: Flask, db_session: Any) -> None:
    call = recorded_call(db_session, "CA-rec-kept", OLD_SID, age_days=200)
    report = run_retention(db_session, NOW, dry_run=False, provider=RefusingProvider())
    assert report.failed == {"recordings": 1}
    db_session.expire_all()
    assert call.recording_sid == OLD_SID
    recording = RecordingProvider()
    run_retention(db_session, NOW, dry_run=False, provider=recording)
    assert recording.deleted_recordings == [OLD_SID]


def test_the_recordings_period_is_the_setting(app: Flask, db_session: Any, make_user: Any) -> None:
    call = recorded_call(db_session, "CA-rec-period", OLD_SID, age_days=20)
    assert run_retention(db_session, NOW, dry_run=True).found["recordings"] == []
    save_periods(db_session, {"recordings_days": 14}, make_user("manager").id, NOW)
    assert [item.id for item in run_retention(db_session, NOW, dry_run=True).found["recordings"]] == [call.id]


def test_the_cli_dry_run_lists_the_recordings(app: Flask, db_session: Any) -> None:
    call = recorded_call(db_session, "CA-rec-cli", OLD_SID, age_days=120)
    with time_machine.travel(NOW, tick=False):
        result = app.test_cli_runner().invoke(args=["retention", "run", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "recordings: 1 would be changed" in result.output and f"call:{call.id}" in result.output


def test_the_retention_job_runs_at_scheduler_start_up_then_daily(app: Flask) -> None:
    paused = BackgroundScheduler(timezone="UTC")
    before = datetime.now(UTC)
    scheduler.add_jobs(app, paused)
    paused.start(paused=True)
    try:
        job = paused.get_job("retention")
        assert job.next_run_time <= datetime.now(UTC) and job.next_run_time >= before - timedelta(seconds=1)
        assert job.trigger.interval == timedelta(days=1)
        assert paused.get_job("rota-certificates").next_run_time > datetime.now(UTC)
    finally:
        paused.shutdown(wait=False)
