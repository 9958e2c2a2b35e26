"""Need-to-know matrix: every case-bearing route (pages, /api/v1) × handler, other worker, supervisor, manager, admin.

A route is case-bearing when its URL names a case, a follow-up, a referral, an
escalation or a call, or it lists cases. The first test walks the URL map so a new
such route cannot be added without a row here. Each row is then requested by each
person: the handler (took the case's call, was given it, its follow-up and its
referral) and a supervisor get through (unless the route's role rule says no);
another worker, a manager and an admin are refused (403 with the break-glass page,
or the API's need_to_know error; call pages answer 404), and the refusal shows none
of the case's contents.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from flask import Flask

from hotline.access import access_of
from hotline.cases.models import Case, FollowUp
from hotline.escalation.models import Escalation, Referral
from hotline.privacy import phone_lookup_hash
from hotline.telephony.models import Call
from hotline.vocabulary import Role
from tests.conftest import csrf_token, log_in

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
SECRET_SUMMARY = "独居老人说邻居在偷他的药"
SECRET_NAME = "王秘密"
PEOPLE = ("handler", "other_worker", "supervisor", "manager", "admin")
ROLE_OF = {"handler": "worker", "other_worker": "worker", "supervisor": "supervisor", "manager": "manager"}
ROLE_OF["admin"] = "admin"
CASE_ARGUMENTS = {"case_id", "follow_up_id", "referral_id", "escalation_id", "call_id", "call_sid"}
BY_QUERY = {"escalation.new"}  # names its case in the query string (?case_id=)


@dataclass
class World:
    """One case with everything that hangs off it, and the five people."""

    case: Case
    call: Call
    follow_up: FollowUp
    escalation: Escalation
    referral: Referral
    people: dict[str, Any]


@dataclass(frozen=True)
class Row:
    """How to request one case-bearing route."""

    method: str
    url: Callable[[World], str]
    data: dict[str, str] | None = None
    refused: tuple[int, ...] = (403,)


ROUTES: dict[str, Row] = {
    "cases.case_page": Row("GET", lambda w: f"/cases/{w.case.id}"),
    "cases.add_note": Row("POST", lambda w: f"/cases/{w.case.id}/notes", {"body": "note"}),
    "cases.assign": Row("POST", lambda w: f"/cases/{w.case.id}/assign", {"assignee_id": ""}),
    "cases.change_status": Row("POST", lambda w: f"/cases/{w.case.id}/status", {"status": "in_progress"}),
    "cases.close": Row("POST", lambda w: f"/cases/{w.case.id}/close", {"confirmed_outcome": ""}),
    "cases.reopen": Row("POST", lambda w: f"/cases/{w.case.id}/reopen", {"reason": "x"}),
    "cases.merge": Row("POST", lambda w: f"/cases/{w.case.id}/merge", {"duplicate": "NONE"}),
    "cases.schedule": Row("POST", lambda w: f"/cases/{w.case.id}/follow-ups", {"kind": "callback"}),
    "cases.return_call": Row("POST", lambda w: f"/cases/{w.case.id}/return-calls", {"satisfaction": "9"}),
    "cases.follow_up_done": Row("POST", lambda w: f"/follow-ups/{w.follow_up.id}/done", {"outcome": "reached"}),
    "cases.follow_up_cancel": Row("POST", lambda w: f"/follow-ups/{w.follow_up.id}/cancel", {}),
    "escalation.new": Row("GET", lambda w: f"/escalation/new?case_id={w.case.id}"),
    "escalation.detail": Row("GET", lambda w: f"/escalation/{w.escalation.id}"),
    "escalation.acknowledge": Row("POST", lambda w: f"/escalation/referrals/{w.referral.id}/acknowledge", {}),
    "escalation.outcome": Row("POST", lambda w: f"/escalation/referrals/{w.referral.id}/outcome", {}),
    "escalation.api_referral": Row("GET", lambda w: f"/api/v1/referrals/{w.referral.id}"),
    "console.current_call": Row("GET", lambda w: f"/console/calls/{w.call.id}", refused=(404,)),
    "console.recording": Row("GET", lambda w: f"/console/calls/{w.call.id}/recording", refused=(403,)),
    "console.save_intake": Row("POST", lambda w: f"/console/calls/{w.call.id}/intake", {}, refused=(404,)),
    "console.quick_call_type": Row("POST", lambda w: f"/console/calls/{w.call.id}/call-type", {}, refused=(404,)),
    "console.hang_up": Row("POST", lambda w: f"/console/calls/{w.call.id}/hang-up", {}, refused=(404,)),
    "console.transfer": Row("POST", lambda w: f"/console/calls/{w.call.id}/transfer", {}, refused=(404,)),
    "console.chat_lines": Row("GET", lambda w: f"/api/v1/console/calls/{w.call.id}/chat", refused=(404,)),
    "console.chat_say": Row(
        "POST", lambda w: f"/api/v1/console/calls/{w.call.id}/chat", {"body": "hello"}, refused=(404,)
    ),
    "console.save_draft": Row("PUT", lambda w: f"/api/v1/console/calls/{w.call.id}/draft", {}, refused=(404,)),
    "console.risk_alert": Row("POST", lambda w: f"/api/v1/console/calls/{w.call.id}/risk-alert", {}, refused=(404,)),
    "console.line_fragment": Row("GET", lambda w: f"/console/calls/{w.call.id}/fragments/line", refused=(404,)),
    "console.hold": Row("POST", lambda w: f"/api/v1/console/calls/{w.call.id}/hold", {"hold": True}, refused=(404,)),
    "console.mute": Row("POST", lambda w: f"/api/v1/console/calls/{w.call.id}/mute", {"muted": True}, refused=(404,)),
    "telephony_api.get_call": Row("GET", lambda w: f"/api/v1/calls/{w.call.call_sid}"),
}
LISTS: dict[str, Callable[[World], str]] = {
    "cases.case_list": lambda w: "/cases",
    "cases.follow_up_list": lambda w: "/follow-ups?all=1",
    "escalation.api_referrals": lambda w: "/api/v1/referrals",
    "telephony_api.list_calls": lambda w: "/api/v1/calls",
}
# Case-bearing routes outside the matrix, each for a stated reason.
EXEMPT = {
    "cases.break_glass": "the way in for those without need-to-know: takes a reason, shows nothing",
    "cases.break_glass_list": "supervisors' list of accesses (role rule); names references, no contents",
    "escalation.take": "any worker may own a running chain from the board; shows nothing, then they are its handler",
    "escalation.cancel": "supervisors stop a chain (role rule); shows nothing",
    "console.conference": "Twilio webhook, signed",
    "console.conference_events": "Twilio webhook, signed",
    "console.expert_dial": "Twilio webhook, signed",
    "console.expert_dial_result": "Twilio webhook, signed",
    "wallboard.monitor": "supervisors ring into a live call (role rule, audited); shows nothing of the case",
}


def case_bearing_endpoints(app: Flask) -> set[str]:
    """Return the endpoints whose URL names a case, follow-up, referral, escalation or call (not Twilio's)."""
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(("/twilio/", "/r/", "/simulator")):
            continue
        if set(rule.arguments) & CASE_ARGUMENTS or rule.endpoint in (*LISTS, *BY_QUERY):
            found.add(rule.endpoint)
    return found


def test_every_case_bearing_route_is_in_the_matrix(app: Flask) -> None:
    missing = case_bearing_endpoints(app) - set(ROUTES) - set(LISTS) - set(EXEMPT)
    assert missing == set(), "add these routes to the need-to-know matrix (or to EXEMPT with a reason)"
    assert set(ROUTES) <= case_bearing_endpoints(app)


@pytest.fixture
def world(db_session: Any, make_user: Any) -> World:
    """Build the case, its ended call, follow-up, escalation and referral, and the five people."""
    people = {name: make_user(ROLE_OF[name]) for name in PEOPLE}
    handler = people["handler"]
    case = Case(
        reference="NTK-1",
        caller_name=SECRET_NAME,
        caller_phone="+8613812345678",
        caller_phone_hash=phone_lookup_hash("+8613812345678"),
        summary=SECRET_SUMMARY,
        consent_callback=True,
        assigned_to_id=handler.id,
        created_at=NOW,
    )
    db_session.add(case)
    db_session.flush()
    call = Call(
        call_sid="CA" + "1" * 32,
        from_number="+8613812345678",
        from_hash=phone_lookup_hash("+8613812345678"),
        status="completed",
        worker_id=handler.id,
        case_id=case.id,
        answered_at=NOW,
        ended_at=NOW + timedelta(minutes=5),
        recording_sid="RE" + "1" * 32,
        recording_url="https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE" + "1" * 32,
        created_at=NOW,
    )
    follow_up = FollowUp(case_id=case.id, due_at=NOW + timedelta(days=1), assignee_id=handler.id, note=SECRET_SUMMARY)
    escalation = Escalation(
        case_id=case.id, trigger="worker", reason="home_visit", urgency="normal", note=SECRET_SUMMARY, status="running"
    )
    escalation.policy = {"name": "p", "steps": []}
    db_session.add_all([call, follow_up, escalation])
    db_session.flush()
    referral = Referral(
        case_id=case.id,
        escalation_id=escalation.id,
        reason="home_visit",
        status="notified",
        target_kind="user",
        target_id=handler.id,
        target_name=handler.display_name,
        user_id=handler.id,
        outcome_note=SECRET_SUMMARY,
        due_at=NOW + timedelta(hours=1),
        created_at=NOW,
    )
    db_session.add(referral)
    db_session.commit()
    return World(case, call, follow_up, escalation, referral, people)


def role_allows(app: Flask, endpoint: str, role: str) -> bool:
    """Return whether the route's declared role rule lets this role in."""
    kind, required = access_of(app.view_functions[endpoint])
    return kind == "public" or Role(role).includes(required)


def needs_to_know(person: str) -> bool:
    """Return whether the person has need-to-know for the world's case."""
    return person in ("handler", "supervisor")


@pytest.mark.parametrize("person", PEOPLE)
@pytest.mark.parametrize("endpoint", sorted(ROUTES))
def test_need_to_know_matrix(app: Flask, client: Any, world: World, endpoint: str, person: str) -> None:
    row = ROUTES[endpoint]
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        log_in(client, world.people[person])
        token = csrf_token(client, "/profile")
        kwargs: dict[str, Any] = {"headers": {"X-CSRFToken": token}}
        if row.data is not None and row.method != "GET":
            if row.url(world).startswith("/api/"):
                kwargs["json"] = row.data
            else:
                kwargs["data"] = {**row.data, "csrf_token": token}
        response = client.open(row.url(world), method=row.method, **kwargs)
    allowed = role_allows(app, endpoint, ROLE_OF[person]) and needs_to_know(person)
    body = response.get_data().decode("utf-8", errors="replace")
    if allowed:
        assert response.status_code not in (401, 403, 404), (endpoint, person, response.status_code)
    else:
        assert response.status_code in (*row.refused, 403), (endpoint, person, response.status_code)
        assert SECRET_SUMMARY not in body and SECRET_NAME not in body, (endpoint, person)
        if response.status_code == 403 and role_allows(app, endpoint, ROLE_OF[person]):
            if row.url(world).startswith("/api/"):
                assert response.get_json()["error"]["code"] == "need_to_know", (endpoint, person)
            elif row.method == "GET" and not endpoint.startswith("console."):  # calls: 404, not break glass
                assert f"/cases/{world.case.id}/break-glass" in body, (endpoint, person)


@pytest.mark.parametrize("person", PEOPLE)
@pytest.mark.parametrize("endpoint", sorted(LISTS))
def test_lists_show_only_cases_one_may_read(client: Any, world: World, endpoint: str, person: str) -> None:
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        log_in(client, world.people[person])
        response = client.get(LISTS[endpoint](world))
    if endpoint == "telephony_api.list_calls" and person in ("manager", "admin"):
        assert response.status_code == 403 and response.get_json()["error"]["code"] == "need_to_know"
        return  # managers and admins read figures, not calls
    assert response.status_code == 200, (endpoint, person)
    body = response.get_data(as_text=True)
    shown = world.case.reference in body or f'"id": {world.referral.id}' in body or f'"id":{world.referral.id}' in body
    shown = shown or world.call.call_sid in body
    if endpoint == "cases.follow_up_list" and person == "supervisor":
        assert shown  # ?all=1: every follow-up
    elif endpoint == "cases.follow_up_list":
        assert shown == (person == "handler")  # one's own follow-ups only
    else:
        assert shown == needs_to_know(person), (endpoint, person)
    assert SECRET_SUMMARY not in body or needs_to_know(person), (endpoint, person)


def test_a_worker_reads_the_call_ringing_for_them_and_the_one_they_are_on(
    client: Any, db_session: Any, world: World, make_user: Any
) -> None:
    """A live call offered to a worker (or the one they are on) opens to them in the calls API; no other does."""
    from hotline.routing.models import Offer, RoutingEntry, WorkerPresence

    other = world.people["other_worker"]
    live = Call(call_sid="CA" + "2" * 32, from_number="+8613900000002", status="ringing", created_at=NOW)
    on_it = Call(call_sid="CA" + "3" * 32, from_number="+8613900000003", status="in-progress", created_at=NOW)
    db_session.add_all([live, on_it])
    db_session.flush()
    entry = RoutingEntry(call_id=live.id, queued_at=NOW)
    db_session.add(entry)
    db_session.flush()
    db_session.add(
        Offer(
            entry_id=entry.id,
            call_id=live.id,
            worker_id=other.id,
            round=1,
            entry_version=1,
            due_at=NOW + timedelta(minutes=1),
        )
    )
    db_session.add(WorkerPresence(user_id=other.id, state="busy", current_call_id=on_it.id))
    db_session.commit()
    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        log_in(client, other)
        listed = {call["call_sid"] for call in client.get("/api/v1/calls").get_json()["calls"]}
        assert listed == {live.call_sid, on_it.call_sid}
        assert client.get(f"/api/v1/calls/{live.call_sid}").status_code == 200
        assert client.get(f"/api/v1/calls/{on_it.call_sid}").status_code == 200
        refused = client.get(f"/api/v1/calls/{world.call.call_sid}")
        assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "need_to_know"
        db_session.execute(Offer.__table__.update().values(status="declined"))
        db_session.commit()
        assert client.get(f"/api/v1/calls/{live.call_sid}").status_code == 403
