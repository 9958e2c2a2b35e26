"""A known set of calls and referrals whose figures were computed by hand (see test_services.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hotline.cases.models import Case, IntakeVersion
from hotline.directory.models import Area, ExpertVolunteer, Station
from hotline.escalation.models import Referral
from hotline.telephony.models import Call, CallSatisfaction


def utc(day: int, hour: int, minute: int = 0, second: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=UTC)


@pytest.fixture
def known_calls(db_session: Any) -> dict[str, Any]:
    """Calls on local days 2026-03-01 and 02 (Asia/Shanghai, UTC+8), and two just outside."""
    district = Area(code="120115", name="宝坻区", level="district")
    db_session.add(district)
    db_session.flush()
    street_a = Area(code="120115001", name="海滨街道", level="street", parent_id=district.id)
    street_b = Area(code="120115002", name="宝平街道", level="street", parent_id=district.id)
    db_session.add_all([street_a, street_b])
    db_session.flush()
    community = Area(code="120115001001", name="示例社区", level="community", parent_id=street_a.id, invented=True)
    db_session.add(community)
    station = Station(name="海滨街道社工站", tier="station")
    expert = ExpertVolunteer(name="刘律师", profession="lawyer")
    db_session.add_all([community, station, expert])
    db_session.flush()
    case_1 = Case(
        reference="HL-R-1", services=["emotional"], target_groups=["elderly_alone", "dibao"], area_id=community.id
    )
    case_2 = Case(
        reference="HL-R-2", services=["crisis"], target_groups=["children_in_difficulty"], area_id=street_b.id
    )
    db_session.add_all([case_1, case_2])
    db_session.flush()

    def call(sid: str, created: datetime, **fields: Any) -> Call:
        row = Call(call_sid=sid, created_at=created, **{"status": "completed", **fields})
        db_session.add(row)
        db_session.flush()
        return row

    s = timedelta(seconds=1)
    answered = call(
        "K1",
        utc(1, 2),
        queued_at=utc(1, 2),
        answered_at=utc(1, 2) + 10 * s,
        ended_at=utc(1, 2, 5, 10),
        outcome="answered",
        service="emotional",
        case_id=case_1.id,
        worker_id=None,
    )
    crisis = call(
        "K2",
        utc(1, 3),
        queued_at=utc(1, 3),
        answered_at=utc(1, 3) + 30 * s,
        ended_at=utc(1, 3, 20, 30),
        outcome="answered",
        service="crisis",
        priority=10,
        case_id=case_2.id,
    )
    call("K3", utc(1, 4), queued_at=utc(1, 4), ended_at=utc(1, 4, 1), outcome="abandoned", service="info")
    call("K4", utc(1, 5), queued_at=utc(1, 5), ended_at=utc(1, 5, 3), outcome="voicemail", service="needs")
    call("K5", utc(1, 12), ended_at=utc(1, 12, 1), outcome="closed-hours")
    call("K6", utc(1, 12, 30), ended_at=utc(1, 12, 33), outcome="callback-requested")
    # Local 23:58 on 1 March to 00:10 on 2 March: it belongs to 1 March.
    call(
        "K7",
        utc(1, 15, 58),
        queued_at=utc(1, 15, 58),
        answered_at=utc(1, 15, 58, 5),
        ended_at=utc(1, 16, 10, 5),
        outcome="answered",
        service="listening",
    )
    call("K8", utc(2, 1), queued_at=utc(2, 1), ended_at=utc(2, 1, 2), outcome="missed", service="family")
    call("K9", utc(2, 2), queued_at=utc(2, 2), status="queued")  # still waiting: no answer time, no end
    silent = call(
        "K11",
        utc(2, 3),
        queued_at=utc(2, 3),
        answered_at=utc(2, 3, 0, 3),
        ended_at=utc(2, 3, 0, 33),
        outcome="answered",
    )
    call(
        "OUT1",
        utc(28, 15, 59, month=2),
        queued_at=utc(28, 15, 59, month=2),
        answered_at=utc(28, 16, 0, month=2),
        ended_at=utc(28, 16, 5, month=2),
        outcome="answered",
    )
    call("OUT2", utc(2, 16), queued_at=utc(2, 16), outcome="abandoned")
    db_session.add_all(
        [
            IntakeVersion(
                call_id=answered.id, case_id=case_1.id, call_type="content", outcome="resolved", current=True
            ),
            IntakeVersion(call_id=crisis.id, case_id=case_2.id, call_type="content", outcome="resolved", current=False),
            IntakeVersion(call_id=crisis.id, case_id=case_2.id, call_type="content", outcome="escalate", current=True),
            IntakeVersion(call_id=silent.id, call_type="silent", current=True),
            CallSatisfaction(call_id=answered.id, score=5),
            CallSatisfaction(call_id=crisis.id, score=3),
            Referral(
                case_id=case_2.id,
                reason="crisis",
                station_id=station.id,
                created_at=utc(1, 3, 25),
                due_at=utc(1, 3, 40),
                acknowledged_at=utc(1, 3, 35),
                status="acknowledged",
            ),
            Referral(
                case_id=case_1.id,
                reason="follow-up",
                expert_id=expert.id,
                created_at=utc(2, 2),
                due_at=utc(2, 2, 15),
                acknowledged_at=utc(2, 2, 30),
                status="acknowledged",
            ),
        ]
    )
    db_session.commit()
    return {"street_a": street_a.id, "street_b": street_b.id, "station": station.id, "expert": expert.id}
