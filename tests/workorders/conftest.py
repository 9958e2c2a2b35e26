"""Work-order fixtures: the escalation test district, a case escalated to its street station."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask

from hotline.escalation.triggers import escalate_case
from hotline.extensions import db
from hotline.workorders.models import WorkOrder
from hotline.workorders.services import set_membership
from hotline.workorders.supervision import open_orders
from tests.conftest import truncate_all, user_builder
from tests.escalation.conftest import NOW, Network, build_network, clock, make_case, provider  # noqa: F401

__all__ = ["NOW", "clock", "provider"]


@pytest.fixture
def network(db_session: Any, make_user: Any) -> Network:
    """The test district in the test's rolled-back session."""
    return build_network(db_session, make_user)


@pytest.fixture
def members(db_session: Any, make_user: Any, network: Network) -> dict[str, Any]:
    """Two accounts of the street station, one of the other station, one of the charity."""
    return add_members(db_session, make_user, network)


def add_members(session: Any, make_user: Any, network: Network) -> dict[str, Any]:
    """Create the members fixture's accounts in a session."""
    found = {
        "station": make_user("station", certified=False),
        "station2": make_user("station", certified=False),
        "other": make_user("station", certified=False),
        "charity": make_user("station", certified=False),
    }
    set_membership(session, found["station"].id, station_id=network.station.id, organisation_id=None)
    set_membership(session, found["station2"].id, station_id=network.station.id, organisation_id=None)
    set_membership(session, found["other"].id, station_id=network.other_station.id, organisation_id=None)
    set_membership(session, found["charity"].id, station_id=None, organisation_id=network.charity.id)
    return found


@dataclass
class Committed:
    """The test district and its members committed for real (other connections and a live server see them)."""

    network: Network
    members: dict[str, Any]
    ids: dict[str, int]


@pytest.fixture
def committed(app: Flask, provider: Any) -> Iterator[Committed]:
    """The district and members committed in the app's own session; every row deleted afterwards."""
    with app.app_context():
        try:
            make_user = user_builder(db.session)
            network = build_network(db.session, make_user)
            found = add_members(db.session, make_user, network)
            ids = {name: user.id for name, user in found.items()}
            ids.update(supervisor=network.supervisor.id, worker=network.worker.id, station_id=network.station.id)
            ids.update(other_station_id=network.other_station.id)
            # Load every column, then let go of the session: the objects stay readable, and no
            # transaction of this fixture is left open to hold the live server's clean-up.
            for row in list(db.session.identity_map.values()):
                db.session.refresh(row)
            db.session.expunge_all()
            db.session.remove()
            yield Committed(network, found, ids)
        finally:
            db.session.remove()
            truncate_all(app)


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
