"""Each robot's payload, signature and answer, against the stand-ins that check them as documented."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hotline.robots import services
from hotline.robots.clients import Message, Robot, RobotError, kind_of_url, send, sign_dingtalk, sign_feishu
from tests.support.robots import RobotServer, dingtalk_signature, feishu_signature

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
NOW_MS = int(NOW.timestamp() * 1000)


MOMENT = {"now": NOW}


def at(moment: datetime) -> datetime:
    """Move the robots' clock to `moment` and return it (the posts are stamped with it too)."""
    MOMENT["now"] = moment
    return moment


@pytest.fixture
def server(robots_server: RobotServer) -> RobotServer:
    """The stand-ins, whose clock is the test's moment (NOW until a test moves it)."""
    at(NOW)
    robots_server.clock = lambda: MOMENT["now"].timestamp()
    return robots_server


def test_signatures_match_the_documented_algorithms() -> None:
    # DingTalk's own example shape: key = secret, message = "timestamp\nsecret"; Feishu: the other way round.
    assert sign_dingtalk("SEC123", 1700000000000) == dingtalk_signature("SEC123", "1700000000000")
    assert sign_feishu("abc", 1700000000) == feishu_signature("abc", "1700000000")
    assert sign_dingtalk("SEC123", 1700000000000) != sign_feishu("SEC123", 1700000000000)


def test_wecom_text_mentions_by_mobile_and_markdown_goes_as_markdown(server: RobotServer) -> None:
    url = server.wecom("k-1")
    send(Robot("wecom", url), Message("转介 #1", mention=("+8613800000001",)), NOW_MS)
    send(Robot("wecom", url), Message("**转介** #2", markdown=True), NOW_MS)
    text, markdown = server.accepted("wecom")
    assert text.body == {"msgtype": "text", "text": {"content": "转介 #1", "mentioned_mobile_list": ["13800000001"]}}
    assert markdown.body == {"msgtype": "markdown", "markdown": {"content": "**转介** #2"}}


def test_wecom_text_is_cut_to_2048_bytes(server: RobotServer) -> None:
    send(Robot("wecom", server.wecom("k-1")), Message("转" * 2000), NOW_MS)
    (post,) = server.accepted()
    assert len(post.text.encode()) <= 2048


def test_dingtalk_is_signed_in_the_query_and_mentions_by_mobile(server: RobotServer) -> None:
    url = server.dingtalk("t-1", "SECabc", keywords=("转介",))
    send(Robot("dingtalk", url, "SECabc"), Message("转介 #1", mention=("+8613800000001",)), NOW_MS)
    (post,) = server.accepted("dingtalk")
    assert post.query["timestamp"] == str(NOW_MS)
    assert post.body["at"]["atMobiles"] == ["13800000001"] and post.body["text"]["content"] == "转介 #1"


def test_feishu_is_signed_in_the_body_with_its_own_shape(server: RobotServer) -> None:
    url = server.feishu("h-1", "fsecret")
    send(Robot("feishu", url, "fsecret"), Message("转介 #1"), NOW_MS)
    (post,) = server.accepted("feishu")
    assert post.body["msg_type"] == "text" and post.body["content"] == {"text": "转介 #1"}
    assert post.body["timestamp"] == str(NOW_MS // 1000)


@pytest.mark.parametrize(
    ("kind", "setup", "robot", "code", "words"),
    [
        (
            "dingtalk",
            lambda s: s.dingtalk("t", "right"),
            lambda u: Robot("dingtalk", u, "wrong"),
            310000,
            "sign not match",
        ),
        ("feishu", lambda s: s.feishu("h", "right"), lambda u: Robot("feishu", u, "wrong"), 19021, "sign match fail"),
        ("dingtalk", lambda s: s.dingtalk("t", None, ("社工",)), lambda u: Robot("dingtalk", u), 310000, "keywords"),
        ("feishu", lambda s: s.feishu("h", None, ("社工",)), lambda u: Robot("feishu", u), 19024, "Key Words"),
        ("wecom", lambda s: s.wecom("k") + "x", lambda u: Robot("wecom", u), 93000, "invalid webhook url"),
        # The shape the old channel sent to every robot: Feishu refuses it.
        ("feishu", lambda s: s.feishu("h", None), lambda u: Robot("wecom", u), 19002, "msg_type"),
    ],
)
def test_a_refusal_answered_with_http_200_is_a_final_failure(
    server: RobotServer, kind: str, setup: Any, robot: Any, code: int, words: str
) -> None:
    with pytest.raises(RobotError) as caught:
        send(robot(setup(server)), Message("转介 #1"), NOW_MS)
    assert caught.value.code == code and words in str(caught.value)
    assert caught.value.retry_after is None and not caught.value.uncertain
    assert server.posts[-1].kind == kind and not server.posts[-1].ok


def test_a_timestamp_outside_the_hour_is_refused(server: RobotServer) -> None:
    ding = Robot("dingtalk", server.dingtalk("t", "s"), "s")
    fei = Robot("feishu", server.feishu("h", "s"), "s")
    late = NOW_MS - 3601 * 1000
    with pytest.raises(RobotError, match="invalid timestamp"):
        send(ding, Message("转介"), late)
    with pytest.raises(RobotError) as caught:
        send(fei, Message("转介"), late)
    assert caught.value.code == 19021


def test_the_robots_rate_limit_answers_are_worth_a_retry(server: RobotServer) -> None:
    url = server.wecom("k")
    server.script("wecom", "k", {"errcode": 45009, "errmsg": "api freq out of limit"})
    with pytest.raises(RobotError) as caught:
        send(Robot("wecom", url), Message("转介"), NOW_MS)
    assert caught.value.code == 45009 and caught.value.retry_after == 60 and caught.value.rate_limited


def test_dingtalk_blocks_ten_minutes_after_twenty_a_minute(server: RobotServer) -> None:
    robot = Robot("dingtalk", server.dingtalk("t", "s"), "s")
    for _ in range(20):
        send(robot, Message("转介"), NOW_MS)
    with pytest.raises(RobotError) as caught:
        send(robot, Message("转介"), NOW_MS)
    assert caught.value.code == 130101 and caught.value.retry_after == 600


def test_an_unreachable_robot_is_retried_and_a_lost_answer_is_not(server: RobotServer) -> None:
    with pytest.raises(RobotError) as refused:
        send(Robot("wecom", "http://127.0.0.1:9/cgi-bin/webhook/send?key=k"), Message("转介"), NOW_MS)
    assert refused.value.retry_after == 30 and not refused.value.uncertain


def test_the_host_names_the_robot() -> None:
    assert kind_of_url("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x") == "wecom"
    assert kind_of_url("https://oapi.dingtalk.com/robot/send?access_token=x") == "dingtalk"
    assert kind_of_url("https://open.feishu.cn/open-apis/bot/v2/hook/x") == "feishu"
    assert kind_of_url("https://open.larksuite.com/open-apis/bot/v2/hook/x") == "feishu"
    assert kind_of_url("https://example.org/hook") is None


def test_client_side_limits_hold_back_the_21st_post_a_minute(db_session: Any, server: RobotServer) -> None:
    robot = Robot("wecom", server.wecom("k"))
    for second in range(20):
        services.post(db_session, robot, Message("转介"), at(NOW + timedelta(seconds=second)))
    with pytest.raises(RobotError) as caught:
        services.post(db_session, robot, Message("转介"), at(NOW + timedelta(seconds=30)))
    assert caught.value.retry_after == pytest.approx(30) and not caught.value.rate_limited
    assert len(server.posts) == 20  # the 21st never left
    services.post(db_session, robot, Message("转介"), at(NOW + timedelta(seconds=61)))
    assert len(server.accepted()) == 21


def test_feishu_takes_five_a_second_client_side(db_session: Any, server: RobotServer) -> None:
    robot = Robot("feishu", server.feishu("h", "s"), "s")
    for _ in range(5):
        services.post(db_session, robot, Message("转介"), NOW)
    with pytest.raises(RobotError) as caught:
        services.post(db_session, robot, Message("转介"), NOW)
    assert 0 < caught.value.retry_after <= 1
    services.post(db_session, robot, Message("转介"), at(NOW + timedelta(seconds=1)))
    assert len(server.accepted("feishu")) == 6


def test_after_a_dingtalk_rate_limit_answer_nothing_is_posted_for_ten_minutes(
    db_session: Any, server: RobotServer
) -> None:
    robot = Robot("dingtalk", server.dingtalk("t", "s"), "s")
    server.script("dingtalk", "t", {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"})
    with pytest.raises(RobotError):
        services.post(db_session, robot, Message("转介"), NOW)
    with pytest.raises(RobotError) as held:
        services.post(db_session, robot, Message("转介"), at(NOW + timedelta(minutes=9)))
    assert held.value.retry_after == pytest.approx(60)
    assert len(server.posts) == 1
    services.post(db_session, robot, Message("转介"), at(NOW + timedelta(minutes=10, seconds=1)))
    assert len(server.accepted()) == 1


def test_feishu_mentions_by_user_id_and_everyone_in_its_own_at_tags(server: RobotServer) -> None:
    url = server.feishu("h-2", "fsecret")
    robot = Robot("feishu", url, "fsecret")
    send(robot, Message("转介 #3", mention=("ou_7d8a6e6df7621556ce0d21922b676706ccs",)), NOW_MS)
    send(robot, Message("转介 #4", mention_all=True), NOW_MS)
    send(robot, Message("转介 #5", mention=('ou_1"></at><at user_id="all',)), NOW_MS)  # never markup
    one, everyone, odd = server.accepted("feishu")
    assert one.body["content"] == {"text": '<at user_id="ou_7d8a6e6df7621556ce0d21922b676706ccs"></at> 转介 #3'}
    assert everyone.body["content"] == {"text": '<at user_id="all">所有人</at> 转介 #4'}
    assert odd.body["content"] == {"text": "转介 #5"}


def test_wecom_and_dingtalk_mention_everyone_their_own_way(server: RobotServer) -> None:
    send(Robot("wecom", server.wecom("k-2")), Message("转介 #6", mention_all=True), NOW_MS)
    send(Robot("dingtalk", server.dingtalk("t-2", "dsecret"), "dsecret"), Message("转介 #7", mention_all=True), NOW_MS)
    (wecom,) = server.accepted("wecom")
    (dingtalk,) = server.accepted("dingtalk")
    assert wecom.body["text"]["mentioned_mobile_list"] == ["@all"]
    assert dingtalk.body["at"] == {"atMobiles": [], "isAtAll": True}
