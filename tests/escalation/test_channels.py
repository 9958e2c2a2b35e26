"""The group chat webhook channel against a real local HTTP server; seeding the default policies."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from sqlalchemy import func, select

from hotline.escalation import triggers
from hotline.escalation.models import EscalationPolicy, NotificationAttempt
from hotline.escalation.policies import seed_default_policies
from tests.escalation.conftest import NOW, make_case


class Robot(BaseHTTPRequestHandler):
    """A group chat robot: records JSON posts, fails when the path says so."""

    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:  # noqa: N802  (http.server's naming)
        length = int(self.headers["Content-Length"])
        Robot.received.append(json.loads(self.rfile.read(length)))
        self.send_response(500 if self.path.endswith("/broken") else 200)
        self.end_headers()
        self.wfile.write(b'{"errcode":0}')

    def log_message(self, *_args: Any) -> None:
        """Stay quiet."""


@pytest.fixture
def robot() -> Iterator[str]:
    Robot.received = []
    server = HTTPServer(("127.0.0.1", 0), Robot)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_a_station_with_a_group_chat_robot_gets_a_json_post(
    db_session: Any, network: Any, provider: Any, robot: str
) -> None:
    network.room.webhook_url = f"{robot}/hook"
    db_session.commit()
    triggers.escalate_case(
        db_session,
        make_case(db_session, network.community).id,
        reason="home_visit",
        urgency="normal",
        note="请上门",
        actor_id=None,
        now=NOW,
        provider=provider,
    )
    (message,) = Robot.received
    assert (
        message["msgtype"] == "text" and "/r/" in message["text"]["content"] and "请上门" in message["text"]["content"]
    )
    attempt = db_session.scalar(select(NotificationAttempt).where(NotificationAttempt.channel == "webhook"))
    assert attempt.status == "sent" and attempt.provider_id.startswith("WH")


def test_a_failing_robot_is_recorded_and_the_sms_still_goes(
    db_session: Any, network: Any, provider: Any, robot: str
) -> None:
    network.room.webhook_url = f"{robot}/broken"
    db_session.commit()
    triggers.escalate_case(
        db_session,
        make_case(db_session, network.community).id,
        reason="home_visit",
        urgency="normal",
        note="请上门",
        actor_id=None,
        now=NOW,
        provider=provider,
    )
    attempt = db_session.scalar(select(NotificationAttempt).where(NotificationAttempt.channel == "webhook"))
    assert attempt.status == "failed" and attempt.error == "HTTP 500"
    assert len(provider.messages) == 1


def test_default_policies_are_seeded_once(db_session: Any) -> None:
    assert seed_default_policies(db_session) == 8
    assert seed_default_policies(db_session) == 0
    assert db_session.scalar(select(func.count(EscalationPolicy.id))) == 8
