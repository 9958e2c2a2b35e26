"""The managers' telephony settings page: defaults shown, changes saved and audited, closures."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from hotline.audit import AuditEntry
from hotline.telephony.line_settings import DEFAULT_PROMPTS, PROMPT_NAMES, load_line_settings
from tests.conftest import csrf_token


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
    assert closures[0]["message"] == "台风停止服务" and closures[0]["starts_at"].startswith("2025-07-20T00:00:00+08:00")
    assert "台风停止服务" in client.get("/manage/telephony").get_data(as_text=True)
    backwards = client.post(
        "/manage/telephony/closures",
        data={"csrf_token": token, "starts_at": "2025-07-21T00:00", "ends_at": "2025-07-20T00:00"},
    )
    assert backwards.status_code == 422
    client.post("/manage/telephony/closures/0/delete", data={"csrf_token": token})
    assert load_line_settings(db_session).closures == []
