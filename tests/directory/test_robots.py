"""A directory entry's channels in order, its robot (URL and secret encrypted), and the test message."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select, text

from hotline.audit import AuditEntry
from hotline.directory.exchange import export_csv, import_csv
from hotline.directory.models import Station
from tests.conftest import csrf_token, log_in
from tests.escalation.conftest import network  # noqa: F401
from tests.support.robots import RobotServer


@pytest.fixture
def robots() -> Iterator[RobotServer]:
    """The stand-in robots on the real clock (the page signs with the time it runs at)."""
    server = RobotServer().start()
    yield server
    server.stop()


def station_form(district: Any, **fields: Any) -> dict[str, Any]:
    """Return the room's form with these fields changed."""
    data = {"name": district.room.name, "tier": "room", "active": "y"}
    data.update(fields)
    return data


def test_channels_are_saved_in_the_order_chosen_with_an_encrypted_robot(
    client: Any,
    db_session: Any,
    network: Any,  # noqa: F811
    robots: RobotServer,
) -> None:
    log_in(client, network.manager)
    path = f"/directory/stations/{network.room.id}"
    url = robots.dingtalk("room", "SECroom")
    answer = client.post(
        path,
        data=station_form(
            network,
            choice_1="dingtalk",
            choice_2="sms",
            choice_3="voice",
            robot_kind="dingtalk",
            webhook_url=url,
            robot_secret="SECroom",
            csrf_token=csrf_token(client, path),
        ),
    )
    assert answer.status_code == 302
    db_session.refresh(network.room)
    assert network.room.notify_channels == ["dingtalk", "sms", "voice"]
    assert (network.room.robot_kind, network.room.robot_secret) == ("dingtalk", "SECroom")
    stored = db_session.execute(
        text("SELECT webhook_url, robot_secret FROM stations WHERE id = :id"), {"id": network.room.id}
    ).one()
    assert "SECroom" not in stored.robot_secret and "access_token" not in stored.webhook_url
    page = client.get(path).get_data(as_text=True)
    assert "SECroom" not in page  # the secret is never shown again
    # Saving again with the secret field empty keeps the secret.
    client.post(
        path,
        data=station_form(
            network, choice_1="sms", robot_kind="dingtalk", webhook_url=url, csrf_token=csrf_token(client, path)
        ),
    )
    db_session.refresh(network.room)
    assert network.room.robot_secret == "SECroom" and network.room.notify_channels == ["sms"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"choice_1": "sms", "choice_2": "sms"}, "每个渠道只能选一次"),
        ({"choice_1": "feishu"}, "需要在此设置该类机器人"),
        ({"robot_kind": "wecom"}, "需要填写机器人地址"),
        ({"webhook_url": "https://example.org/hook"}, "请选择这个地址属于哪种机器人"),
    ],
)
def test_wrong_channel_choices_are_refused_and_nothing_changes(
    client: Any,
    db_session: Any,
    network: Any,  # noqa: F811
    fields: dict[str, str],
    message: str,
) -> None:
    log_in(client, network.manager)
    path = f"/directory/stations/{network.room.id}"
    answer = client.post(path, data=station_form(network, csrf_token=csrf_token(client, path), **fields))
    assert answer.status_code == 422 and message in answer.get_data(as_text=True)
    db_session.refresh(network.room)
    assert network.room.notify_channels == [] and network.room.webhook_url is None


@pytest.mark.parametrize(
    ("kind", "secret", "delivered"),
    [("wecom", None, True), ("dingtalk", "SECok", True), ("feishu", "fsok", True), ("dingtalk", "bad", False)],
)
def test_a_manager_sends_a_test_message_and_sees_what_the_robot_answered(
    client: Any,
    db_session: Any,
    network: Any,  # noqa: F811
    robots: RobotServer,
    kind: str,
    secret: str | None,
    delivered: bool,
) -> None:
    urls = {"wecom": robots.wecom("k"), "dingtalk": robots.dingtalk("t", "SECok"), "feishu": robots.feishu("h", "fsok")}
    network.room.webhook_url, network.room.robot_kind, network.room.robot_secret = urls[kind], kind, secret
    db_session.commit()
    log_in(client, network.manager)
    path = f"/directory/stations/{network.room.id}"
    answer = client.post(f"{path}/test-message", data={"csrf_token": csrf_token(client, path)}, follow_redirects=True)
    page = answer.get_data(as_text=True)
    (post,) = robots.posts
    assert "转介" in post.text and post.ok is delivered
    if delivered:
        assert "机器人已收到测试消息" in page
    else:
        assert "机器人未接收测试消息" in page and "310000" in page and "sign not match" in page
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "directory.test_message"))
    assert entry.detail["delivered"] is delivered and entry.target == f"stations:{network.room.id}"


def test_only_managers_send_test_messages(client: Any, network: Any) -> None:  # noqa: F811
    log_in(client, network.supervisor)
    answer = client.post(
        f"/directory/stations/{network.room.id}/test-message", data={"csrf_token": csrf_token(client, "/")}
    )
    assert answer.status_code == 403


def test_csv_carries_the_robot_kind_but_never_the_secret(db_session: Any, network: Any) -> None:  # noqa: F811
    network.room.webhook_url = "https://oapi.dingtalk.com/robot/send?access_token=abc"
    network.room.robot_kind, network.room.robot_secret = "dingtalk", "SECsecret"
    db_session.commit()
    exported = export_csv(db_session, "stations")
    assert "dingtalk" in exported and "SECsecret" not in exported
    import_csv(
        db_session,
        "stations",
        "name,tier,webhook_url,robot_kind,notify_channels\n"
        "新室,room,https://open.feishu.cn/open-apis/bot/v2/hook/x,,feishu;sms\n",
    )
    new = db_session.scalar(select(Station).where(Station.name == "新室"))
    assert new.robot_kind == "feishu" and new.notify_channels == ["feishu", "sms"]


def test_a_manager_orders_a_staff_members_channels(client: Any, db_session: Any, network: Any) -> None:  # noqa: F811
    log_in(client, network.manager)
    listing = client.get("/directory/staff/").get_data(as_text=True)
    assert network.supervisor.display_name in listing and "按紧急程度选择" in listing
    path = f"/directory/staff/{network.supervisor.id}"
    token = csrf_token(client, path)
    twice = client.post(path, data={"choice_1": "voice", "choice_2": "voice", "csrf_token": token})
    assert twice.status_code == 422 and "每个渠道只能选一次" in twice.get_data(as_text=True)
    saved = client.post(path, data={"choice_1": "wecom", "choice_3": "voice", "csrf_token": token})
    assert saved.status_code == 302
    db_session.refresh(network.supervisor)
    assert network.supervisor.notify_channels == ["wecom", "voice"]
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "directory.staff_channels"))
    assert entry.detail == {"from": [], "to": ["wecom", "voice"]}
    assert "1. 企业微信群机器人，2. 语音电话" in client.get("/directory/staff/").get_data(as_text=True)


def test_staff_channels_are_for_managers(client: Any, network: Any) -> None:  # noqa: F811
    log_in(client, network.supervisor)
    assert client.get("/directory/staff/").status_code == 403
    assert client.get(f"/directory/staff/{network.worker.id}").status_code == 403


def test_a_staff_members_feishu_user_id_is_what_a_feishu_bot_mentions(
    client: Any,
    db_session: Any,
    network: Any,  # noqa: F811
) -> None:
    from hotline.escalation.recipients import of_user
    from hotline.robots.clients import Robot

    log_in(client, network.manager)
    path = f"/directory/staff/{network.supervisor.id}"
    token = csrf_token(client, path)
    wrong = client.post(path, data={"choice_1": "feishu", "feishu_user_id": "<at>", "csrf_token": token})
    assert wrong.status_code == 422 and 'value="&lt;at&gt;"' in wrong.get_data(as_text=True)
    saved = client.post(path, data={"choice_1": "feishu", "feishu_user_id": "ou_abc123", "csrf_token": token})
    assert saved.status_code == 302
    db_session.refresh(network.supervisor)
    assert network.supervisor.feishu_user_id == "ou_abc123"
    assert 'value="ou_abc123"' in client.get(path).get_data(as_text=True)
    team = Robot("feishu", "https://open.feishu.cn/open-apis/bot/v2/hook/team")
    recipient = of_user(network.supervisor, team)
    assert recipient.mentions_for("feishu") == ("ou_abc123",)
    assert recipient.mentions_for("wecom") == (network.supervisor.phone,)
    assert of_user(network.supervisor).mentions_for("feishu") == ()
