"""Review: articles past validity or unverified for the manager's period are flagged; owners are reminded weekly."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from hotline.knowledge import review, services
from hotline.scheduler import JOBS, resolve
from hotline.telephony.providers import RecordingProvider

NOW = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
TODAY = date(2026, 12, 2)


def test_flags_follow_validity_and_the_review_period(db_session: Any, make_article: Any) -> None:
    fresh = make_article("新条目", "答复。")
    expired = make_article("过期条目", "答复。", valid_until="2026-12-01")
    stale = make_article("久未核实", "答复。")
    stale.verified_at = NOW - timedelta(days=400)
    db_session.commit()
    assert review.flags(fresh, TODAY, 12) == []
    assert review.flags(expired, TODAY, 12) == ["expired"]
    assert review.flags(stale, TODAY, 12) == ["unverified"]
    assert review.flags(stale, TODAY, 24) == []
    assert {a.question for a in review.stale_articles(db_session, TODAY, 12)} == {"过期条目", "久未核实"}
    assert review.months_before(date(2026, 3, 31), 1) == date(2026, 2, 28)


def test_owners_are_reminded_by_sms_at_most_weekly(app: Any, db_session: Any, make_article: Any) -> None:
    from hotline.directory.models import Station

    station = Station(name="海滨街道社会工作服务站", tier="station", duty_contact_phone="+8613900000001")
    db_session.add(station)
    db_session.commit()
    owned = make_article("久未核实", "答复。", owner_station_id=station.id)
    orphan = make_article("无人负责", "答复。")
    for article in (owned, orphan):
        article.verified_at = NOW - timedelta(days=400)
    db_session.commit()
    provider = RecordingProvider()
    with app.test_request_context():
        assert review.remind_owners(db_session, provider, TODAY, NOW, 12) == 1
        assert review.remind_owners(db_session, provider, TODAY + timedelta(days=3), NOW + timedelta(days=3), 12) == 0
        assert review.remind_owners(db_session, provider, TODAY + timedelta(days=8), NOW + timedelta(days=8), 12) == 1
    (first, _second) = provider.messages
    assert first["to"] == "+8613900000001" and "/r/knowledge/" in first["body"] and "久未核实" in first["body"]
    assert orphan.reminded_at is not None
    services.verify(db_session, owned, None, NOW + timedelta(days=9))
    with app.test_request_context():
        assert review.remind_owners(db_session, provider, TODAY + timedelta(days=20), NOW + timedelta(days=20), 12) == 0


def test_the_review_job_is_scheduled_daily() -> None:
    job = {job.name: job for job in JOBS}["knowledge-review"]
    assert job.seconds == 24 * 3600 and job.at_start
    assert callable(resolve(job.target))
