"""The managers' list of sent and failed messages: template SMS and robot posts, masked, filtered, paginated."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hotline.escalation import messages
from hotline.escalation.models import NotificationAttempt, Referral
from hotline.escalation.providers import robot_destination
from hotline.privacy import phone_lookup_hash
from hotline.robots.clients import Robot
from hotline.sms.models import SmsMessage

PAGE = "/messages/"
AT = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)


def sms(session: Any, kind: str, status: str, at: datetime, error: str | None = None, **fields: Any) -> SmsMessage:
    message = SmsMessage(
        kind=kind,
        provider=fields.pop("provider", "alibaba"),
        to="+8613812345678",
        to_hash=phone_lookup_hash("+8613812345678"),
        template_id="SMS_1",
        params=[],
        status=status,
        error=error,
        created_at=at,
        due_at=at,
        **fields,
    )
    session.add(message)
    session.flush()
    return message


def robot_posts(session: Any) -> tuple[NotificationAttempt, NotificationAttempt, NotificationAttempt]:
    referral = Referral(reason="visit", target_name="甲街道站")
    session.add(referral)
    session.flush()
    robot = Robot("feishu", "https://open.feishu.cn/open-apis/bot/v2/hook/secret-hook", "s3cret")
    feishu = NotificationAttempt(
        referral_id=referral.id,
        channel="feishu",
        destination=robot_destination(robot, ("+8613900000001",)),
        status="failed",
        error="errcode 19021: sign match fail or timestamp is not within one hour from current time",
        created_at=AT,
    )
    phone_line = NotificationAttempt(
        referral_id=referral.id, channel="sms", destination="+8613900000002", status="delivered", created_at=AT
    )
    templated = NotificationAttempt(
        referral_id=referral.id, channel="sms", destination="+8613900000003", status="sent", created_at=AT
    )
    session.add_all([feishu, phone_line, templated])
    session.flush()
    sms(session, "escalation_request", "sent", AT, origin=f"attempt:{templated.id}")
    return feishu, phone_line, templated


def test_only_managers_see_the_list(login_as: Any) -> None:
    assert login_as("supervisor").get(PAGE).status_code == 403


def test_the_nav_links_the_list_for_managers(login_as: Any) -> None:
    assert f'href="{PAGE}"' in login_as("manager").get("/").get_data(as_text=True)


def test_sms_and_robot_posts_are_listed_once_masked_with_the_providers_error(login_as: Any, db_session: Any) -> None:
    sms(db_session, "callback_confirmation", "failed", AT - timedelta(hours=1), "isv.AMOUNT_NOT_ENOUGH")
    robot_posts(db_session)
    db_session.commit()
    client = login_as("manager")
    page = client.get(PAGE).get_data(as_text=True)
    assert "4 条消息" in page  # the templated attempt is listed once, as its message
    assert "138****5678" in page and "+8613812345678" not in page and "13812345678" not in page
    assert "@139****0001" in page and "secret-hook" not in page and "s3cret" not in page
    assert "isv.AMOUNT_NOT_ENOUGH" in page and "errcode 19021" in page
    robots = client.get(PAGE, query_string={"channel": "robot"}).get_data(as_text=True)
    assert "1 条消息" in robots and "errcode 19021" in robots
    failed = client.get(PAGE, query_string={"state": "failed", "channel": "sms"}).get_data(as_text=True)
    assert "1 条消息" in failed and "isv.AMOUNT_NOT_ENOUGH" in failed
    kind = client.get(PAGE, query_string={"kind": "callback_confirmation"}).get_data(as_text=True)
    assert "1 条消息" in kind


def test_dates_filter_by_the_hotlines_day_and_bad_dates_are_answered(login_as: Any, db_session: Any) -> None:
    sms(db_session, "survey", "delivered", datetime(2026, 3, 9, 15, 30, tzinfo=UTC))  # 3月9日 23:30 Shanghai
    sms(db_session, "survey", "delivered", datetime(2026, 3, 9, 16, 30, tzinfo=UTC))  # 3月10日 00:30 Shanghai
    db_session.commit()
    client = login_as("manager")
    day = client.get(PAGE, query_string={"date_from": "2026-03-10", "date_to": "2026-03-10"})
    assert "1 条消息" in day.get_data(as_text=True)
    wrong = client.get(PAGE, query_string={"date_from": "10/03/2026", "state": "nonsense"})
    assert wrong.status_code == 422 and "10/03/2026" in wrong.get_data(as_text=True)


def test_the_list_is_paginated_newest_first(login_as: Any, db_session: Any) -> None:
    for n in range(messages.PAGE_SIZE + 3):
        sms(db_session, "shift_reminder", "delivered", AT + timedelta(minutes=n))
    db_session.commit()
    result = messages.list_messages(db_session, messages.MessageFilter(page=2))
    assert (result.total, result.page, result.pages, len(result.rows)) == (messages.PAGE_SIZE + 3, 2, 2, 3)
    assert result.rows[0].at > result.rows[-1].at
    page = login_as("manager").get(PAGE, query_string={"page": 2, "state": "delivered"}).get_data(as_text=True)
    assert "第 2 页，共 2 页" in page
    assert "state=delivered" in page and "page=1" in page
