"""A small referral network: a district, two streets, communities, stations, experts, policies."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any

import pytest
import time_machine
from flask import Flask

from hotline.cases.models import Case
from hotline.directory.models import Area, ExpertVolunteer, Organisation, Station
from hotline.escalation.policies import seed_default_policies
from hotline.rota.models import Shift, ShiftAssignment
from hotline.telephony.providers import RecordingProvider
from tests.support import factories

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # Tuesday 10:00 in Shanghai


@dataclass
class Network:
    """The test district."""

    district: Area
    street: Area
    other_street: Area
    community: Area
    plain_community: Area
    centre: Station
    station: Station
    room: Station
    other_station: Station
    lawyer: ExpertVolunteer
    psychologist: ExpertVolunteer
    charity: Organisation
    supervisor: Any
    worker: Any
    manager: Any


@pytest.fixture
def provider(app: Flask) -> Iterator[RecordingProvider]:
    """A fresh recording telephony provider, also the one routes and jobs use."""
    recorder = RecordingProvider()
    previous = app.extensions.get("hotline_telephony")
    app.extensions["hotline_telephony"] = recorder
    yield recorder
    app.extensions["hotline_telephony"] = previous


def build_network(session: Any, make_user: Any) -> Network:
    """Create the district, stations, experts, staff, a published shift and the default policies."""
    district = Area(code="990001", name="测试区", level="district", latitude=39.70, longitude=117.30)
    street = Area(code="990001001", name="甲街道", level="street", parent=district, latitude=39.75, longitude=117.30)
    other = Area(code="990001002", name="乙镇", level="street", parent=district, latitude=39.65, longitude=117.40)
    community = Area(code="990001001001", name="甲街道东里社区", level="community", parent=street)
    plain = Area(code="990001001002", name="甲街道西苑社区", level="community", parent=street)
    centre = Station(
        name="区中心",
        tier="district_centre",
        area=district,
        phone="+8613900000000",
        latitude=39.70,
        longitude=117.30,
        areas_covered=[district],
    )
    station = Station(
        name="甲街道站",
        tier="station",
        area=street,
        duty_contact_phone="+8613900000001",
        latitude=39.75,
        longitude=117.30,
        areas_covered=[street, community, plain],
    )
    room = Station(
        name="东里社区室",
        tier="room",
        area=community,
        duty_contact_phone="+8613900000002",
        latitude=39.751,
        longitude=117.301,
        areas_covered=[community],
    )
    other_station = Station(
        name="乙镇站",
        tier="station",
        area=other,
        duty_contact_phone="+8613900000003",
        latitude=39.65,
        longitude=117.40,
        areas_covered=[other],
    )
    lawyer = ExpertVolunteer(
        name="韩律师",
        profession="律师",
        phone="+8613900000010",
        skills=["legal"],
        duty_weekdays=[2],
        duty_start=time(9),
        duty_end=time(17),
        max_open_referrals=2,
    )
    psychologist = ExpertVolunteer(
        name="沈心怡",
        profession="心理咨询师",
        phone="+8613900000011",
        skills=["psychology", "crisis"],
        duty_weekdays=[5],
    )
    charity = Organisation(name="慈善协会", services=["resources"], phone="+8613900000020", area=district)
    session.add_all(
        [district, street, other, community, plain, centre, station, room, other_station, lawyer, psychologist, charity]
    )
    supervisor = make_user("supervisor", phone="+8613900000030")
    worker = make_user("worker", phone="+8613900000031")
    manager = make_user("manager", phone="+8613900000032")
    shift = Shift(
        label="上午班",
        starts_at=datetime(2026, 3, 10, 1, 0, tzinfo=UTC),
        ends_at=datetime(2026, 3, 10, 5, 0, tzinfo=UTC),
        status="published",
    )
    shift.assignments = [
        ShiftAssignment(duty="supervisor", user=supervisor),
        ShiftAssignment(duty="duty_worker", user=worker),
    ]
    session.add(shift)
    seed_default_policies(session)
    session.commit()
    return Network(
        district,
        street,
        other,
        community,
        plain,
        centre,
        station,
        room,
        other_station,
        lawyer,
        psychologist,
        charity,
        supervisor,
        worker,
        manager,
    )


@pytest.fixture
def network(db_session: Any, make_user: Any) -> Network:
    """The test district in the test's rolled-back session."""
    return build_network(db_session, make_user)


def make_case(
    session: Any,
    area: Area | None,
    *,
    consent: bool = False,
    risk: str = "none",
    phone: str | None = "+8613812345678",
    name: str | None = "张三",
    assigned_to_id: int | None = None,
) -> Case:
    """Create a case in an area (given to `assigned_to_id`, who then has need-to-know): the shared builder."""
    return factories.make_case(
        session,
        phone=phone,
        area_id=area.id if area else None,
        caller_name=name,
        consent_share=consent,
        consent_callback=False,
        services=[],
        risk=risk,
        summary="独居老人需要上门探访",
        assigned_to_id=assigned_to_id,
    )


@pytest.fixture
def clock() -> Iterator[Any]:
    """Freeze time at NOW for the whole test (log-in cookies and links are signed with the clock)."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller
