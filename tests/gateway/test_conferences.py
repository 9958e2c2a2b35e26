"""Conferences: legs join by TwiML, the REST API lists, mutes and removes participants, the caller's exit ends it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from twilio.base.exceptions import TwilioRestException

from hotline.gateway import Gateway, start_gateway
from hotline.gateway.interpreter import CallerScript
from tests.gateway.twiml_app import ACCOUNT, CALLER, HOTLINE, PUBLIC, TOKEN, AppRecord

WORKER, EXPERT = "client:worker_1", "+8613700000007"


@pytest.fixture
def gateway(app_url: str) -> Iterator[Gateway]:
    with start_gateway(app_url, PUBLIC, TOKEN, ACCOUNT, voice_url="/voice/connect") as gateway:
        yield gateway


def three_in_a_room(gateway: Gateway, rest_client: Callable[..., Any]) -> tuple[Any, Any, Any, Any]:
    """Bridge a caller to worker_1, then move caller, worker and expert into conference room-1 over REST."""
    network = gateway.network
    network.callees[WORKER] = CallerScript(ring_seconds=1, talk_seconds=600)
    network.callees[EXPERT] = CallerScript(ring_seconds=3, talk_seconds=600)
    caller = network.dial_in(CALLER, HOTLINE, CallerScript(talk_seconds=900))
    network.run_until(lambda: caller.bridged_with is not None)
    client = rest_client(gateway)
    client.calls(caller.sid).update(url=f"{PUBLIC}/voice/conference?leg=caller", method="POST")
    worker = client.calls.create(to=WORKER, from_=HOTLINE, url=f"{PUBLIC}/voice/conference?leg=worker")
    expert = client.calls.create(to=EXPERT, from_=HOTLINE, url=f"{PUBLIC}/voice/conference?leg=expert")
    network.run_until(lambda: len(getattr(network.conferences.live("room-1"), "participants", ())) == 3)
    return client, caller, network.call(worker.sid), network.call(expert.sid)


def test_legs_placed_over_rest_meet_the_caller_in_the_conference(
    gateway: Gateway, rest_client: Any, record: AppRecord
) -> None:
    client, caller, worker, expert = three_in_a_room(gateway, rest_client)

    (room,) = client.conferences.list(friendly_name="room-1", status="in-progress")
    assert room.sid.startswith("CF") and room.friendly_name == "room-1"
    participants = {p.call_sid: p for p in client.conferences(room.sid).participants.list()}
    assert set(participants) == {caller.sid, worker.sid, expert.sid}
    assert participants[caller.sid].end_conference_on_exit and not participants[expert.sid].muted
    assert worker.status == expert.status == "in-progress" and worker.direction == "outbound-api"
    assert record.bad_signatures == [] and gateway.network.errors == []


def test_a_participant_is_muted_and_removed_and_the_others_talk_on(gateway: Gateway, rest_client: Any) -> None:
    client, caller, worker, expert = three_in_a_room(gateway, rest_client)
    room = gateway.network.conferences.of_call(caller.sid)

    muted = client.conferences(room.sid).participants(expert.sid).update(muted=True)
    assert muted.muted and client.conferences(room.sid).participants(expert.sid).fetch().muted
    assert expert.events("conference-mute")[0].detail == {"muted": True}
    assert client.conferences(room.sid).participants(worker.sid).delete()
    gateway.network.run_until(lambda: not worker.is_live)

    assert worker.said[-1] == "The conference is over for the worker."
    assert set(room.participants) == {caller.sid, expert.sid} and room.status == "in-progress"
    with pytest.raises(TwilioRestException) as gone:
        client.conferences(room.sid).participants(worker.sid).fetch()
    assert gone.value.status == 404


def test_the_callers_exit_ends_the_conference_for_everyone(gateway: Gateway, rest_client: Any) -> None:
    client, caller, worker, expert = three_in_a_room(gateway, rest_client)
    room = gateway.network.conferences.of_call(caller.sid)

    caller.hang_up()
    gateway.network.run_until_idle()

    assert room.status == "completed" and room.participants == {}
    assert client.conferences(room.sid).fetch().status == "completed"
    assert not worker.is_live and not expert.is_live
    assert expert.said[-1] == "The conference is over for the expert."


def test_an_expert_who_hangs_up_leaves_the_caller_and_worker_talking(gateway: Gateway, rest_client: Any) -> None:
    client, caller, worker, expert = three_in_a_room(gateway, rest_client)
    room = gateway.network.conferences.of_call(caller.sid)

    expert.hang_up()
    client.calls(worker.sid).update(status="completed")  # the worker leaves the conference too
    gateway.network.run_until(lambda: not worker.is_live and not expert.is_live)

    assert list(room.participants) == [caller.sid] and room.is_live and caller.is_live
    assert expert.status == "completed" and expert.hung_up_by == "caller"


def test_a_coach_joins_heard_by_the_coached_participant_only(gateway: Gateway, rest_client: Any) -> None:
    client, caller, worker, _expert = three_in_a_room(gateway, rest_client)
    supervisor_address = "client:worker_9"
    gateway.network.callees[supervisor_address] = CallerScript(ring_seconds=1, talk_seconds=600)
    coach = client.calls.create(
        to=supervisor_address, from_=HOTLINE, url=f"{PUBLIC}/voice/conference?leg=coach&coach={worker.sid}"
    )
    room = gateway.network.conferences.of_call(caller.sid)
    gateway.network.run_until(lambda: coach.sid in room.participants)

    joined = client.conferences(room.sid).participants(coach.sid).fetch()
    assert joined.coaching and joined.call_sid_to_coach == worker.sid and not joined.muted
    assert gateway.network.call(coach.sid).events("conference")[0].detail["coach"] == worker.sid
    assert not client.conferences(room.sid).participants(worker.sid).fetch().coaching


def test_a_held_participant_hears_hold_music_and_the_room_reports_every_change(
    gateway: Gateway, rest_client: Any, record: AppRecord
) -> None:
    client, caller, worker, _expert = three_in_a_room(gateway, rest_client)
    room = gateway.network.conferences.of_call(caller.sid)
    hold_url = f"{PUBLIC}/voice/hold-music"

    held = client.conferences(room.sid).participants(caller.sid).update(hold=True, hold_url=hold_url)
    assert held.hold and client.conferences(room.sid).participants(caller.sid).fetch().hold
    assert caller.events("conference-hold")[0].detail == {"hold": True, "hold_url": hold_url}
    client.conferences(room.sid).participants(worker.sid).update(muted=True)
    client.conferences(room.sid).participants(caller.sid).update(hold=False)
    assert not client.conferences(room.sid).participants(caller.sid).fetch().hold
    worker.hang_up()
    left = ("participant-leave", worker.sid)
    seen = lambda: [(p["StatusCallbackEvent"], p.get("CallSid")) for p in record.posted("/voice/conference-events")]  # noqa: E731
    gateway.network.run_until(lambda: left in seen())

    posted = record.posted("/voice/conference-events")
    events = [(p["StatusCallbackEvent"], p.get("CallSid")) for p in posted]
    assert events[0] == ("conference-start", None)
    assert [e for e, _ in events[1:4]] == ["participant-join"] * 3
    assert events[4:8] == [
        ("participant-hold", caller.sid),
        ("participant-mute", worker.sid),
        ("participant-unhold", caller.sid),
        ("participant-leave", worker.sid),
    ]
    assert sorted(int(p["SequenceNumber"]) for p in posted) == list(range(len(posted)))
    assert all(p["ConferenceSid"] == room.sid and p["FriendlyName"] == "room-1" for p in posted)
    assert posted[5]["Muted"] == "true" and posted[4]["Hold"] == "true"
    assert record.bad_signatures == []
