"""The robot channels against the stand-in robots (real HTTP): payloads, answers, retries, the next step."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from hotline.audit import AuditEntry
from hotline.escalation import steps, triggers
from hotline.escalation.models import EscalationPolicy, NotificationAttempt
from hotline.escalation.policies import save_settings, seed_default_policies, setting
from hotline.settings import Setting
from tests.escalation.conftest import NOW, make_case
from tests.support.robots import RobotServer

MOMENT = {"now": NOW}


@pytest.fixture
def robots() -> Iterator[RobotServer]:
    """The stand-in robots, their clock the test's moment."""
    MOMENT["now"] = NOW
    server = RobotServer(clock=lambda: MOMENT["now"].timestamp()).start()
    yield server
    server.stop()


def escalate(session: Any, network: Any, provider: Any) -> Any:
    """Escalate a home visit in the room's community (the room is notified first)."""
    return triggers.escalate_case(
        session,
        make_case(session, network.community).id,
        reason="home_visit",
        urgency="normal",
        note="请上门",
        actor_id=None,
        now=NOW,
        provider=provider,
    )


def robot_attempt(session: Any) -> NotificationAttempt:
    """Return the one robot attempt."""
    return session.scalar(select(NotificationAttempt).where(NotificationAttempt.channel != "sms"))


def give_robot(network: Any, robots: RobotServer, kind: str) -> None:
    """Give the room a robot of this kind (signed for DingTalk and Feishu)."""
    if kind == "wecom":
        network.room.webhook_url, network.room.robot_kind = robots.wecom("room-key"), "wecom"
    elif kind == "dingtalk":
        network.room.webhook_url, network.room.robot_kind = robots.dingtalk("room", "SECroom"), "dingtalk"
        network.room.robot_secret = "SECroom"
    else:
        network.room.webhook_url, network.room.robot_kind = robots.feishu("room", "fsroom"), "feishu"
        network.room.robot_secret = "fsroom"


@pytest.mark.parametrize("kind", ["wecom", "dingtalk", "feishu"])
def test_each_robot_gets_its_own_payload_with_the_link_and_how_to_accept(
    db_session: Any, network: Any, provider: Any, robots: RobotServer, kind: str
) -> None:
    give_robot(network, robots, kind)
    db_session.commit()
    escalate(db_session, network, provider)
    (post,) = robots.accepted(kind)
    assert "/r/" in post.text and "请上门" in post.text and "机器人无法接收回复" in post.text
    attempt = robot_attempt(db_session)
    assert attempt.channel == kind and attempt.status == "sent" and attempt.tries == 0
    assert len(provider.messages) == 1  # the SMS went too


def test_a_legacy_webhook_url_of_no_known_robot_keeps_working(
    db_session: Any, network: Any, provider: Any, robots: RobotServer
) -> None:
    # A URL set before robots had kinds, on a host that is no robot: the WeCom text shape, as before.
    network.room.webhook_url = robots.wecom("legacy")
    db_session.commit()
    escalate(db_session, network, provider)
    (post,) = robots.accepted("wecom")
    assert post.body["msgtype"] == "text"
    assert robot_attempt(db_session).channel == "webhook"


@pytest.mark.parametrize(
    ("kind", "answer"),
    [
        ("wecom", {"errcode": 45009, "errmsg": "api freq out of limit"}),
        ("dingtalk", {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}),
        ("feishu", {"code": 11232, "msg": "frequency limited psm"}),
    ],
)
def test_a_rate_limited_post_is_retried_within_the_step_and_sent_once(
    db_session: Any, network: Any, provider: Any, robots: RobotServer, kind: str, answer: dict[str, Any]
) -> None:
    give_robot(network, robots, kind)
    db_session.commit()
    robots.script(kind, "room-key" if kind == "wecom" else "room", answer)
    escalate(db_session, network, provider)
    attempt = robot_attempt(db_session)
    assert attempt.status == "queued" and attempt.tries == 1 and attempt.retry_at is not None
    steps.run_due(db_session, NOW + timedelta(seconds=5), provider)  # too early: nothing posted
    assert len(robots.posts) == 1
    MOMENT["now"] = later = attempt.retry_at + timedelta(seconds=1)
    steps.run_due(db_session, later, provider)
    steps.run_due(db_session, later + timedelta(seconds=3), provider)
    db_session.refresh(attempt)
    assert attempt.status == "sent" and len(robots.accepted(kind)) == 1 and len(robots.posts) == 2


@pytest.mark.parametrize(
    ("kind", "break_it", "code"),
    [
        ("dingtalk", lambda room: setattr(room, "robot_secret", "wrong"), "310000"),
        ("feishu", lambda room: setattr(room, "robot_secret", "wrong"), "19021"),
        ("wecom", lambda room: setattr(room, "webhook_url", room.webhook_url + "-gone"), "93000"),
    ],
)
def test_a_refused_post_fails_once_and_the_chain_goes_on_when_nobody_is_reachable(
    db_session: Any, network: Any, provider: Any, robots: RobotServer, kind: str, break_it: Any, code: str
) -> None:
    give_robot(network, robots, kind)
    break_it(network.room)
    network.room.notify_channels = [kind]  # the room takes its robot only: nobody else to reach it
    db_session.commit()
    escalation = escalate(db_session, network, provider)
    attempt = robot_attempt(db_session)
    assert attempt.status == "failed" and code in attempt.error and provider.messages == []
    db_session.refresh(escalation)
    assert escalation.due_at == NOW  # not the step's 30 minutes: the next tick goes on
    steps.run_due(db_session, NOW + timedelta(seconds=3), provider)
    db_session.refresh(escalation)
    assert escalation.step_index == 1 and [r.target_name for r in escalation.referrals][-1] == "甲街道站"
    assert len(robots.posts) == 1  # the refused post was never repeated


def test_a_retry_that_would_come_after_the_deadline_fails_instead(
    db_session: Any, network: Any, provider: Any, robots: RobotServer
) -> None:
    give_robot(network, robots, "dingtalk")
    db_session.commit()
    robots.script("dingtalk", "room", {"errcode": 130101, "errmsg": "send too fast"})
    escalation = escalate(db_session, network, provider)
    attempt = robot_attempt(db_session)
    assert attempt.status == "queued"  # DingTalk's 10 minutes fit in the step's 30
    referral = attempt.referral
    referral.due_at = NOW + timedelta(minutes=5)
    attempt.status, attempt.retry_at = "queued", None
    db_session.commit()
    MOMENT["now"] = NOW + timedelta(seconds=1)
    steps.run_due(db_session, NOW + timedelta(seconds=1), provider)  # held back client-side for 10 minutes
    db_session.refresh(attempt)
    assert attempt.status == "failed" and "rate limit" in attempt.error
    assert len(robots.posts) == 1 and escalation.id


def test_a_send_cut_short_by_a_dead_process_is_never_repeated(
    db_session: Any, network: Any, provider: Any, robots: RobotServer
) -> None:
    give_robot(network, robots, "feishu")
    network.room.notify_channels = ["feishu"]
    db_session.commit()
    robots.script("feishu", "room", {"code": 11232, "msg": "frequency limited"})
    escalate(db_session, network, provider)
    attempt = robot_attempt(db_session)
    # The scheduler claimed the retry and died before it finished: the attempt stays "sending".
    attempt.status, attempt.updated_at = "sending", NOW + timedelta(minutes=1)
    db_session.commit()
    for minute in (2, 7, 8):
        steps.run_due(db_session, NOW + timedelta(minutes=minute), provider)
    db_session.refresh(attempt)
    assert attempt.status == "uncertain" and len(robots.posts) == 1


def test_default_policies_are_seeded_once(db_session: Any) -> None:
    assert seed_default_policies(db_session) == 8
    assert seed_default_policies(db_session) == 0
    assert db_session.scalar(select(func.count(EscalationPolicy.id))) == 8


def test_the_team_robot_is_stored_sealed_and_mentions_the_supervisor(
    db_session: Any, network: Any, provider: Any, robots: RobotServer
) -> None:
    url = robots.dingtalk("team", "SECteam")
    save_settings(
        db_session,
        {"escalation.team_webhook": {"url": url, "kind": "dingtalk", "secret": "SECteam"}},
        actor_id=network.manager.id,
        now=NOW,
    )
    stored = db_session.get(Setting, "escalation.team_webhook").value
    assert "SECteam" not in str(stored) and "access_token" not in str(stored)
    audited = db_session.scalar(select(AuditEntry).where(AuditEntry.target == "setting:escalation.team_webhook"))
    assert audited.detail["to"] == {"url": "127.0.0.1", "kind": "dingtalk", "secret": True}
    network.supervisor.notify_channels = ["dingtalk", "voice"]
    db_session.commit()
    case = make_case(db_session, network.community, risk="high")
    triggers.escalate_risk(db_session, case.id, "high", worker_id=network.worker.id, now=NOW, provider=provider)
    post = next(post for post in robots.accepted("dingtalk"))
    assert post.body["at"]["atMobiles"] == ["13900000030"] and "/r/" in post.text
    # Saving the page again with the secret left empty keeps it.
    save_settings(db_session, {"escalation.team_webhook": {"url": url}}, actor_id=network.manager.id, now=NOW)
    assert setting(db_session, "escalation.team_webhook")["secret"] == "SECteam"
