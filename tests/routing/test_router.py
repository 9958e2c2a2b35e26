"""The router: priority, skills, longest idle, decline, ring timeout, nobody available, restart."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from hotline.routing import services
from hotline.routing.jobs import run_tick
from hotline.routing.models import Offer, RoutingEntry, WorkerPresence
from hotline.routing.presence import touch
from hotline.routing.router import route, skill_fit
from hotline.routing.settings import RoutingSettings, save_routing_settings
from hotline.telephony import services as line
from hotline.telephony.models import CallEvent, TelephonyCommand
from hotline.telephony.providers import RecordingProvider
from tests.routing.conftest import NOW, put_on_duty, queue_call, set_available


def ringing(session: Any) -> list[Offer]:
    return list(session.scalars(select(Offer).where(Offer.status == "ringing").order_by(Offer.id)))


def test_crisis_calls_are_offered_before_calls_that_waited_longer(db_session: Any, workers: Any) -> None:
    (worker,) = workers(1)
    older = queue_call(db_session, queued_at=NOW - timedelta(minutes=5))
    crisis = queue_call(db_session, queued_at=NOW - timedelta(minutes=1), priority=100, service="crisis")
    services.call_queued(db_session, older.id, NOW)
    services.call_queued(db_session, crisis.id, NOW)
    set_available(db_session, worker, NOW - timedelta(minutes=10))
    offers = route(db_session, NOW)
    assert [(o.call_id, o.worker_id) for o in offers] == [(crisis.id, worker.id)]


def test_among_equal_priority_the_longest_waiting_call_goes_first(db_session: Any, workers: Any) -> None:
    (worker,) = workers(1)
    newer = queue_call(db_session, queued_at=NOW - timedelta(minutes=1))
    older = queue_call(db_session, queued_at=NOW - timedelta(minutes=4))
    for call in (newer, older):
        services.call_queued(db_session, call.id, NOW)
    set_available(db_session, worker, NOW - timedelta(minutes=10))
    assert [o.call_id for o in route(db_session, NOW)] == [older.id]


def test_the_worker_whose_skills_fit_the_service_wins_over_a_longer_idle_one(
    db_session: Any, workers: Any, make_user: Any
) -> None:
    generalist, family_expert = workers(1)[0], workers(1, skills=["family_education"])[0]
    set_available(db_session, generalist, NOW - timedelta(minutes=30))
    set_available(db_session, family_expert, NOW - timedelta(minutes=1))
    call = queue_call(db_session, queued_at=NOW, service="family")
    offers = services.call_queued(db_session, call.id, NOW)
    assert [o.worker_id for o in offers] == [family_expert.id]
    assert skill_fit(["psychology"], "family") == 1 and skill_fit([], "family") == 0


def test_with_equal_skills_the_longest_idle_worker_gets_the_offer(db_session: Any, workers: Any) -> None:
    recent, longest = workers(2)
    set_available(db_session, recent, NOW - timedelta(minutes=2))
    set_available(db_session, longest, NOW - timedelta(minutes=20))
    call = queue_call(db_session, queued_at=NOW)
    assert [o.worker_id for o in services.call_queued(db_session, call.id, NOW)] == [longest.id]


def test_a_declined_call_is_offered_to_the_next_worker(db_session: Any, workers: Any) -> None:
    first, second = workers(2)
    set_available(db_session, first, NOW - timedelta(minutes=20))
    set_available(db_session, second, NOW - timedelta(minutes=5))
    call = queue_call(db_session, queued_at=NOW)
    (offer,) = services.call_queued(db_session, call.id, NOW)
    assert offer.worker_id == first.id
    services.decline_offer(db_session, offer.id, first.id, NOW + timedelta(seconds=3))
    assert [(o.worker_id, o.call_id) for o in ringing(db_session)] == [(second.id, call.id)]
    assert db_session.get(WorkerPresence, first.id).state == "available"


def test_an_offer_that_rings_out_goes_to_the_next_worker_and_the_absent_one_goes_on_break(
    db_session: Any, workers: Any
) -> None:
    first, second = workers(2)
    set_available(db_session, first, NOW - timedelta(minutes=20))
    set_available(db_session, second, NOW - timedelta(minutes=5))
    call = queue_call(db_session, queued_at=NOW)
    (offer,) = services.call_queued(db_session, call.id, NOW)
    run_tick(db_session, NOW + timedelta(seconds=19))
    assert [o.worker_id for o in ringing(db_session)] == [first.id], "still ringing before the ring time"
    run_tick(db_session, NOW + timedelta(seconds=21))
    db_session.expire_all()
    assert db_session.get(Offer, offer.id).status == "missed"
    assert [o.worker_id for o in ringing(db_session)] == [second.id]
    first_presence = db_session.get(WorkerPresence, first.id)
    assert (first_presence.state, first_presence.reason) == ("break", "missed_offer")


def test_nobody_available_keeps_the_call_waiting_until_someone_is(db_session: Any, workers: Any) -> None:
    (worker,) = workers(1)
    call = queue_call(db_session, queued_at=NOW)
    assert services.call_queued(db_session, call.id, NOW) == []
    for seconds in (30, 60, 600):
        run_tick(db_session, NOW + timedelta(seconds=seconds))
    entry = db_session.scalar(select(RoutingEntry).where(RoutingEntry.call_id == call.id))
    assert entry.status == "waiting" and db_session.get(type(call), call.id).status == "queued"
    services.set_presence(db_session, worker.id, "available", NOW + timedelta(minutes=11), worker.id)
    assert [(o.worker_id, o.call_id) for o in ringing(db_session)] == [(worker.id, call.id)]


def test_only_workers_on_duty_with_a_valid_certificate_get_offers(db_session: Any, make_user: Any) -> None:
    off_rota = make_user("worker")
    uncertified = make_user("worker", certified=False)
    put_on_duty(db_session, [uncertified])
    for user in (off_rota, uncertified):
        set_available(db_session, user, NOW - timedelta(minutes=5))
    call = queue_call(db_session, queued_at=NOW)
    assert services.call_queued(db_session, call.id, NOW) == []


def test_offering_to_everyone_at_once_lets_one_accept_and_withdraws_the_rest(db_session: Any, workers: Any) -> None:
    save_routing_settings(db_session, RoutingSettings(offer_mode="all"), None, NOW)
    team = workers(3)
    for minutes, user in zip((3, 2, 1), team, strict=True):
        set_available(db_session, user, NOW - timedelta(minutes=minutes))
    call = queue_call(db_session, queued_at=NOW)
    offers = services.call_queued(db_session, call.id, NOW)
    assert sorted(o.worker_id for o in offers) == sorted(u.id for u in team)
    provider = RecordingProvider()
    services.accept_offer(db_session, offers[1].id, team[1].id, NOW + timedelta(seconds=2), provider)
    db_session.expire_all()
    assert [db_session.get(Offer, o.id).status for o in offers] == ["taken", "accepted", "taken"]
    assert db_session.get(WorkerPresence, team[1].id).state == "busy"
    assert db_session.get(WorkerPresence, team[0].id).offered_call_id is None


def test_accepting_connects_the_caller_to_the_softphone_and_marks_the_worker_busy(
    db_session: Any, workers: Any
) -> None:
    (worker,) = workers(1)
    set_available(db_session, worker, NOW - timedelta(minutes=5))
    call = queue_call(db_session, queued_at=NOW)
    (offer,) = services.call_queued(db_session, call.id, NOW)
    provider = RecordingProvider()
    services.accept_offer(db_session, offer.id, worker.id, NOW + timedelta(seconds=4), provider)
    db_session.expire_all()
    presence = db_session.get(WorkerPresence, worker.id)
    assert (presence.state, presence.current_call_id) == ("busy", call.id)
    assert db_session.get(type(call), call.id).worker_id == worker.id
    connecting = db_session.scalar(
        select(CallEvent).where(CallEvent.call_id == call.id, CallEvent.kind == "connecting")
    )
    assert connecting.data["identity"] == f"worker_{worker.id}"
    command = db_session.scalar(select(TelephonyCommand).where(TelephonyCommand.call_sid == call.call_sid))
    assert command.kind == "redirect_call" and f"/twilio/voice/connect/{call.call_sid}" in command.payload["url"]


def test_a_worker_who_takes_calls_on_their_own_phone_is_dialled_there(db_session: Any, workers: Any) -> None:
    (worker,) = workers(1, phone="+8613500000001")
    set_available(db_session, worker, NOW - timedelta(minutes=5))
    services.set_connect_via(db_session, worker.id, "phone", NOW)
    call = queue_call(db_session, queued_at=NOW)
    (offer,) = services.call_queued(db_session, call.id, NOW)
    services.accept_offer(db_session, offer.id, worker.id, NOW, RecordingProvider())
    connecting = db_session.scalar(
        select(CallEvent).where(CallEvent.call_id == call.id, CallEvent.kind == "connecting")
    )
    assert connecting.data["number"] == "+8613500000001"


def test_a_call_ending_starts_wrap_up_and_the_worker_is_available_after_it(db_session: Any, workers: Any) -> None:
    save_routing_settings(db_session, RoutingSettings(wrap_up_seconds=45), None, NOW)
    (worker,) = workers(1)
    set_available(db_session, worker, NOW - timedelta(minutes=5))
    call = queue_call(db_session, queued_at=NOW)
    (offer,) = services.call_queued(db_session, call.id, NOW)
    services.accept_offer(db_session, offer.id, worker.id, NOW, RecordingProvider())
    services.call_ended(db_session, call.id, NOW + timedelta(minutes=5))
    presence = db_session.get(WorkerPresence, worker.id)
    assert presence.state == "wrap_up"
    touch(db_session, worker.id, NOW + timedelta(minutes=5, seconds=40))  # the console is still open
    run_tick(db_session, NOW + timedelta(minutes=5, seconds=44))
    db_session.expire_all()
    assert db_session.get(WorkerPresence, worker.id).state == "wrap_up"
    run_tick(db_session, NOW + timedelta(minutes=5, seconds=46))
    db_session.expire_all()
    assert db_session.get(WorkerPresence, worker.id).state == "available"


def test_a_console_silent_past_the_grace_period_takes_its_worker_offline(db_session: Any, workers: Any) -> None:
    (worker,) = workers(1)
    set_available(db_session, worker, NOW, now=NOW)
    run_tick(db_session, NOW + timedelta(seconds=59))
    db_session.expire_all()
    assert db_session.get(WorkerPresence, worker.id).state == "available"
    run_tick(db_session, NOW + timedelta(seconds=61))
    db_session.expire_all()
    presence = db_session.get(WorkerPresence, worker.id)
    assert (presence.state, presence.reason) == ("offline", "console_lost")


def test_a_call_ending_while_it_rings_withdraws_the_offer(db_session: Any, workers: Any) -> None:
    (worker,) = workers(1)
    set_available(db_session, worker, NOW - timedelta(minutes=5))
    call = queue_call(db_session, queued_at=NOW)
    (offer,) = services.call_queued(db_session, call.id, NOW)
    services.call_ended(db_session, call.id, NOW + timedelta(seconds=5))
    db_session.expire_all()
    assert db_session.get(Offer, offer.id).status == "withdrawn"
    assert db_session.get(WorkerPresence, worker.id).offered_call_id is None


def test_the_router_carries_on_after_a_restart_in_the_middle(app: Any, db_session: Any, workers: Any) -> None:
    """An offer made before the restart rings out after it; a call queued while down is adopted."""
    first, second = workers(2)
    set_available(db_session, first, NOW - timedelta(minutes=20))
    set_available(db_session, second, NOW - timedelta(minutes=5))
    before = queue_call(db_session, queued_at=NOW)
    (offer,) = services.call_queued(db_session, before.id, NOW)
    first_id, second_id, before_id, offer_id = first.id, second.id, before.id, offer.id
    # The process dies here: nothing in memory survives, and a call arrives while nobody routes.
    db_session.expunge_all()
    during_id = queue_call(db_session, queued_at=NOW + timedelta(seconds=10)).id
    later = NOW + timedelta(seconds=30)
    for worker_id in (first_id, second_id):
        touch(db_session, worker_id, later)
    result = services.rebuild(db_session, later)
    assert result["adopted"] == 1 and result["expired"] == 1
    db_session.expire_all()
    assert db_session.get(Offer, offer_id).status == "missed"
    now_ringing = ringing(db_session)
    assert [(o.worker_id, o.call_id) for o in now_ringing] == [(second_id, before_id)]
    services.accept_offer(db_session, now_ringing[0].id, second_id, later, RecordingProvider())
    services.set_presence(db_session, first_id, "available", later, first_id)
    assert [(o.worker_id, o.call_id) for o in ringing(db_session)] == [(first_id, during_id)]


def test_a_call_the_worker_did_not_pick_up_returns_to_the_queue_keeping_its_place(
    db_session: Any, workers: Any
) -> None:
    first, second = workers(2)
    set_available(db_session, first, NOW - timedelta(minutes=20))
    call = queue_call(db_session, queued_at=NOW - timedelta(minutes=3))
    newer = queue_call(db_session, queued_at=NOW - timedelta(minutes=1))
    (offer,) = services.call_queued(db_session, call.id, NOW)
    services.call_queued(db_session, newer.id, NOW)
    services.accept_offer(db_session, offer.id, first.id, NOW, RecordingProvider())
    # The softphone never answered: the phone line puts the caller back in the queue.
    line.enqueue_call(db_session, call, NOW + timedelta(seconds=30))
    services.call_queued(db_session, call.id, NOW + timedelta(seconds=30))
    set_available(db_session, second, NOW, now=NOW + timedelta(seconds=31))
    offers = route(db_session, NOW + timedelta(seconds=31))
    assert [(o.worker_id, o.call_id) for o in offers] == [(second.id, call.id)]
    assert db_session.get(WorkerPresence, first.id).state == "break"


def test_a_caller_who_leaves_the_queue_for_voicemail_is_no_longer_offered(db_session: Any, workers: Any) -> None:
    """Past the maximum wait the caller records a message: the ringing offer is withdrawn, none is made again."""
    first, second = workers(2)
    set_available(db_session, first, NOW - timedelta(minutes=5))
    call = queue_call(db_session, queued_at=NOW)
    (offer,) = services.call_queued(db_session, call.id, NOW)
    line.reach_max_wait(db_session, call, NOW + timedelta(seconds=180), 180)  # the phone line's queue-wait webhook
    later = NOW + timedelta(seconds=182)
    touch(db_session, first.id, later)
    run_tick(db_session, later)
    db_session.expire_all()
    assert db_session.get(Offer, offer.id).status == "withdrawn"
    assert db_session.get(WorkerPresence, first.id).offered_call_id is None
    # Nobody is offered the call while it lives on in voicemail, however many are free.
    set_available(db_session, second, later, now=later)
    assert route(db_session, later) == [] and ringing(db_session) == []
    entry = db_session.scalar(select(RoutingEntry).where(RoutingEntry.call_id == call.id))
    assert entry.status == "waiting"
    # When the call ends, its entry ends.
    services.call_ended(db_session, call.id, later + timedelta(seconds=60))
    db_session.expire_all()
    assert db_session.get(RoutingEntry, entry.id).status == "ended"


def test_a_call_waiting_for_a_free_worker_that_leaves_the_queue_is_not_offered_later(
    db_session: Any, workers: Any
) -> None:
    (worker,) = workers(1)
    call = queue_call(db_session, queued_at=NOW)
    assert services.call_queued(db_session, call.id, NOW) == []
    line.reach_max_wait(db_session, call, NOW + timedelta(seconds=180), 180)
    services.set_presence(db_session, worker.id, "available", NOW + timedelta(seconds=190), worker.id)
    assert ringing(db_session) == []
