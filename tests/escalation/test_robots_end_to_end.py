"""An escalation on each robot, end to end: the scheduler process posts the request, the responder opens
the signed link from the post and accepts; a killed and restarted scheduler posts nothing twice."""

from __future__ import annotations

import re
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import select

from hotline.clock import utcnow
from hotline.escalation import triggers
from hotline.escalation.models import Escalation, NotificationAttempt, Referral
from tests.escalation.conftest import build_network, make_case
from tests.escalation.test_durable import READY_SECONDS, beats_after, committed, plain_user_factory, scheduler  # noqa: F401
from tests.support.robots import RobotServer
from tests.support.waiting import until


@pytest.fixture
def robots() -> Iterator[RobotServer]:
    """The stand-in robots on the real clock (the scheduler process signs with it)."""
    server = RobotServer().start()
    yield server
    server.stop()


def test_each_robot_gets_the_request_and_its_link_accepts_once_across_a_restart(
    app: Flask,
    live_server: Any,
    committed: Any,  # noqa: F811  (after live_server: its session ends before the live server's clean-up)
    robots: RobotServer,
    tmp_path: Path,
) -> None:
    network = build_network(committed, plain_user_factory(committed))
    # Each covering station its own robot, and nothing else: the robot is how it hears of the request.
    network.room.webhook_url, network.room.robot_kind = robots.wecom("room"), "wecom"
    network.station.webhook_url, network.station.robot_kind = robots.dingtalk("station", "SECstation"), "dingtalk"
    network.station.robot_secret = "SECstation"
    network.other_station.webhook_url = robots.feishu("other", "fsother", keywords=("转介",))
    network.other_station.robot_kind, network.other_station.robot_secret = "feishu", "fsother"
    for station, kind in ((network.room, "wecom"), (network.station, "dingtalk"), (network.other_station, "feishu")):
        station.notify_channels = [kind]
    committed.commit()
    chains = {}
    for area, kind in (
        (network.community, "wecom"),
        (network.plain_community, "dingtalk"),
        (network.other_street, "feishu"),
    ):
        chain, _ = triggers.start_escalation(
            committed,
            trigger="worker",
            reason="home_visit",
            urgency="normal",
            now=utcnow(),
            case=make_case(committed, area),
            run_first_step=False,
        )
        chain.due_at = utcnow()
        committed.commit()
        chains[kind] = chain.id

    first = scheduler(app, tmp_path)
    try:
        until(lambda: len(robots.accepted()) == 3, timeout=READY_SECONDS, interval=0.3)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    restarted_at = utcnow()
    second = scheduler(app, tmp_path)
    try:
        beats_after(app, beats_after(app, restarted_at))  # two beats: several escalation ticks ran
    finally:
        second.send_signal(signal.SIGKILL)
        second.wait(10)
    assert sorted(post.kind for post in robots.posts) == ["dingtalk", "feishu", "wecom"], "each posted once"
    assert all(post.ok for post in robots.posts)

    for post in robots.posts:
        path = re.search(r"/r/[A-Za-z0-9_.\-]+", post.text).group(0)
        assert "机器人无法接收回复" in post.text
        responder = requests.Session()
        page = responder.get(f"{live_server.url}{path}", timeout=10)
        assert page.status_code == 200
        token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page.text).group(1)
        accepted = responder.post(f"{live_server.url}{path}/accept", data={"note": "", "csrf_token": token}, timeout=10)
        assert accepted.status_code == 200, post.kind

    committed.rollback()
    for kind, chain_id in chains.items():
        chain = committed.get(Escalation, chain_id)
        (referral,) = committed.scalars(select(Referral).where(Referral.escalation_id == chain_id)).all()
        (attempt,) = committed.scalars(
            select(NotificationAttempt).where(NotificationAttempt.referral_id == referral.id)
        )
        assert (chain.status, referral.status) == ("acknowledged", "accepted"), kind
        assert (attempt.channel, attempt.status) == (kind, "sent")
    committed.rollback()
