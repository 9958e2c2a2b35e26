"""The managers' telephony settings page: defaults shown, changes saved and audited, menu keys, closures."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from sqlalchemy import func, select

from hotline.audit import AuditEntry
from hotline.routing.router import SERVICE_SKILLS
from hotline.telephony.forms import MENU_SERVICES
from hotline.telephony.line_settings import DEFAULT_MENU, DEFAULT_PROMPTS, PROMPT_NAMES, load_line_settings
from hotline.telephony.models import Call
from tests.conftest import csrf_token

NOON = datetime(2025, 3, 10, 4, 0, tzinfo=UTC)  # Monday 12:00 in Shanghai
CALLER = "+8613812345678"


def manager_in_english(login_as: Any) -> Any:
    """Log a manager in with the English UI, so the tests can read the messages."""
    client = login_as("manager")
    client.get("/lang/en")
    return client


def form_data(token: str, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "csrf_token": token,
        "language": "cmn-CN",
        "voice": "Polly.Zhiyu",
        "emergency_numbers": "报警 110\n急救 120\n心理援助热线 12356",
        "max_wait_seconds": "180",
        "announce_every_seconds": "30",
        "average_handle_seconds": "240",
        "hold_audio_url": "",
    }
    for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"):
        data[f"hours_{day}"] = "09:00-17:00"
    for name in PROMPT_NAMES:
        data[f"prompt_{name}"] = DEFAULT_PROMPTS[name]
        data[f"audio_{name}"] = ""
    for key in "123456789":
        data[f"menu_{key}"] = DEFAULT_MENU.get(key, "none")
    data.update(changes)
    return data


def test_the_page_shows_the_defaults(login_as: Any) -> None:
    client = login_as("manager")
    page = client.get("/manage/telephony").get_data(as_text=True)
    assert "Polly.Zhiyu" in page and "09:00-17:00" in page and "每天9:00至17:00" in page


def test_saving_changes_settings_and_audits_them(login_as: Any, db_session: Any) -> None:
    client = login_as("manager")
    token = csrf_token(client, "/manage/telephony")
    response = client.post(
        "/manage/telephony",
        data=form_data(
            token,
            voice="Google.cmn-CN-Standard-A",
            hours_sat="",
            hours_sun="",
            max_wait_seconds="240",
            audio_greeting="https://cdn.example.org/greeting.mp3",
            open_on_holidays="y",
        ),
    )
    assert response.status_code == 302
    settings = load_line_settings(db_session)
    assert settings.voice == "Google.cmn-CN-Standard-A" and settings.max_wait_seconds == 240
    assert settings.weekly_hours["sat"] == [] and settings.open_on_holidays
    assert settings.prompt("greeting").audio_url == "https://cdn.example.org/greeting.mp3"
    targets = db_session.scalars(select(AuditEntry.target).where(AuditEntry.action == "settings.change")).all()
    assert set(targets) == {
        "setting:telephony.voice",
        "setting:telephony.hours",
        "setting:telephony.queue",
        "setting:telephony.prompts",
    }


def test_errors_are_shown_beside_the_fields_with_the_typed_values(login_as: Any) -> None:
    client = login_as("manager")
    token = csrf_token(client, "/manage/telephony")
    response = client.post("/manage/telephony", data=form_data(token, hours_mon="9 to 5", max_wait_seconds="5"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "9 to 5" in page and 'role="alert"' in page


def test_closures_are_added_and_removed(login_as: Any, db_session: Any) -> None:
    with time_machine.travel(datetime(2025, 7, 1, 2, tzinfo=UTC), tick=False):
        client = login_as("manager")
        token = csrf_token(client, "/manage/telephony")
        added = client.post(
            "/manage/telephony/closures",
            data={
                "csrf_token": token,
                "starts_at": "2025-07-20T00:00",
                "ends_at": "2025-07-21T00:00",
                "message": "台风停止服务",
            },
        )
        assert added.status_code == 302
        closures = load_line_settings(db_session).closures
        assert closures[0]["message"] == "台风停止服务"
        assert closures[0]["starts_at"].startswith("2025-07-20T00:00:00+08:00")
        assert "台风停止服务" in client.get("/manage/telephony").get_data(as_text=True)
        backwards = client.post(
            "/manage/telephony/closures",
            data={"csrf_token": token, "starts_at": "2025-07-21T00:00", "ends_at": "2025-07-20T00:00"},
        )
        assert backwards.status_code == 422
        past = client.post(
            "/manage/telephony/closures",
            data={"csrf_token": token, "starts_at": "2025-06-20T00:00", "ends_at": "2025-06-21T00:00", "message": "旧"},
        )
        page = past.get_data(as_text=True)
        assert past.status_code == 422 and "已经结束" in page and 'value="2025-06-20T00:00"' in page
        assert len(load_line_settings(db_session).closures) == 1
        client.post("/manage/telephony/closures/0/delete", data={"csrf_token": token})
        assert load_line_settings(db_session).closures == []


def test_a_new_menu_mapping_routes_the_next_call_to_its_service(
    login_as: Any, twilio_post: Any, db_session: Any
) -> None:
    client = manager_in_english(login_as)
    token = csrf_token(client, "/manage/telephony")
    saved = client.post(
        "/manage/telephony",
        data=form_data(token, menu_1="expert", menu_5="info", menu_9="listening"),
        follow_redirects=True,
    )
    assert "update it so callers hear the new keys" in saved.get_data(as_text=True)  # the prompt was left as it was
    assert load_line_settings(db_session).menu == {
        "1": "expert",
        "2": "emotional",
        "3": "family",
        "4": "resources",
        "5": "info",
        "9": "listening",
    }
    with time_machine.travel(NOON, tick=False):
        twilio_post("/twilio/voice/incoming", CallSid="CA-m1", From=CALLER, To="+862288880000")
        twilio_post("/twilio/voice/menu", CallSid="CA-m1", Digits="1")
        twilio_post("/twilio/voice/incoming", CallSid="CA-m9", From=CALLER, To="+862288880000")
        twilio_post("/twilio/voice/menu", CallSid="CA-m9", Digits="9")
    services = dict(db_session.execute(select(Call.call_sid, Call.service)).tuples().all())
    assert services == {"CA-m1": "expert", "CA-m9": "listening"}


def test_changing_the_prompt_with_the_keys_gives_no_warning(login_as: Any, db_session: Any) -> None:
    client = manager_in_english(login_as)
    token = csrf_token(client, "/manage/telephony")
    saved = client.post(
        "/manage/telephony",
        data=form_data(token, menu_5="none", prompt_menu="信息咨询请按1;情绪疏导请按2;家庭教育请按3;资源链接请按4。"),
        follow_redirects=True,
    )
    assert "Settings saved" in saved.get_data(as_text=True)
    assert "update it so callers hear the new keys" not in saved.get_data(as_text=True)
    assert "5" not in load_line_settings(db_session).menu


@pytest.mark.parametrize(
    ("changes", "wrong", "error"),
    [
        ({"menu_3": "emotional", "menu_7": "needs"}, "menu_3", "Already on key 2"),
        ({f"menu_{key}": "none" for key in "123456789"}, "menu_1", "At least one key must lead to a service"),
        ({"menu_4": "crisis"}, "menu_4", None),  # key 0 only; WTForms' own message, in the UI's language
    ],
)
def test_an_invalid_menu_is_refused_with_the_typed_values_and_changes_nothing(
    login_as: Any, db_session: Any, changes: dict[str, str], wrong: str, error: str | None
) -> None:
    client = manager_in_english(login_as)
    token = csrf_token(client, "/manage/telephony")
    response = client.post("/manage/telephony", data=form_data(token, voice="Polly.Typed", **changes))
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and (error is None or error in page)
    assert re.search(rf'has-error">\s*<label for="{wrong}"', page) and 'role="alert"' in page
    assert 'value="Polly.Typed"' in page
    for name, value in changes.items():
        if value != "crisis":
            options = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', page, re.S)
            assert options and f'<option selected value="{value}">' in options.group(1)
    assert load_line_settings(db_session).menu == DEFAULT_MENU
    assert db_session.scalar(select(func.count(AuditEntry.id))) == 0


def test_a_worker_cannot_see_or_change_the_menu(login_as: Any, db_session: Any) -> None:
    client = login_as("worker")
    token = csrf_token(client, "/")
    assert client.get("/manage/telephony").status_code == 403
    refused = client.post("/manage/telephony", data=form_data(token, menu_1="expert"))
    assert refused.status_code == 403 and load_line_settings(db_session).menu == DEFAULT_MENU


def test_every_menu_service_is_one_the_router_can_route() -> None:
    assert set(MENU_SERVICES) <= set(SERVICE_SKILLS) - {"crisis"}
