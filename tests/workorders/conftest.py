"""Work-order fixtures: the escalation test district, a case escalated to its street station."""

from __future__ import annotations

from typing import Any

import pytest

from hotline.escalation.triggers import escalate_case
from hotline.workorders.models import WorkOrder
from hotline.workorders.services import set_membership
from hotline.workorders.supervision import open_orders
from tests.escalation.conftest import NOW, Network, build_network, clock, make_case, provider  # noqa: F401

__all__ = ["NOW", "clock", "provider"]


@pytest.fixture
def network(db_session: Any, make_user: Any) -> Network:
    """The test district in the test's rolled-back session."""
    return build_network(db_session, make_user)


@pytest.fixture
def members(db_session: Any, make_user: Any, network: Network) -> dict[str, Any]:
    """Two accounts of the street station, one of the other station, one of the charity."""
    found = {
        "station": make_user("station", certified=False),
        "station2": make_user("station", certified=False),
        "other": make_user("station", certified=False),
        "charity": make_user("station", certified=False),
    }
    set_membership(db_session, found["station"].id, station_id=network.station.id, organisation_id=None)
    set_membership(db_session, found["station2"].id, station_id=network.station.id, organisation_id=None)
    set_membership(db_session, found["other"].id, station_id=network.other_station.id, organisation_id=None)
    set_membership(db_session, found["charity"].id, station_id=None, organisation_id=network.charity.id)
    return found


def escalate_to_station(
    session: Any, network: Network, provider: Any, *, urgency: str = "normal", callback: bool = True
) -> WorkOrder:
    """Escalate a plain-community case (its station is the street station) and open the order."""
    case = make_case(session, network.plain_community, consent=True)
    case.consent_callback = callback
    session.commit()
    escalate_case(
        session,
        case.id,
        reason="home_visit",
        urgency=urgency,
        note="请上门看望独居老人",
        actor_id=network.worker.id,
        now=NOW,
        provider=provider,
    )
    open_orders(session, NOW)
    order = session.query(WorkOrder).filter_by(case_id=case.id).one()
    return order
