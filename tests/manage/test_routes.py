"""The audit log page (who, what, when, from where; filters) and the retention page, for managers only."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hotline import audit
from tests.conftest import csrf_token


def seed_entries(db_session: Any, make_user: Any) -> Any:
    admin = make_user("admin", display_name="管理员甲")
    entries = [
        ("user.role_change", "user:7", {"role": ["worker", "supervisor"]}, "10.1.1.1"),
        ("rota.publish", "rota:2026-03", {}, "10.1.1.2"),
        ("settings.change", "setting:hours", {"open": ["09:00", "08:30"]}, "10.1.1.3"),
        ("case.view", "case:1", {}, "10.1.1.4"),
    ]
    for action, target, detail, address in entries:
        entry = audit.record(db_session, action, actor_id=admin.id, target=target, detail=detail, address=address)
        entry.at = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
    db_session.commit()
    return admin


def test_managers_browse_every_kind_of_entry(client: Any, login_as: Any, db_session: Any, make_user: Any) -> None:
    seed_entries(db_session, make_user)
    login_as("manager")
    page = client.get("/manage/audit").get_data(as_text=True)
    for fragment in (
        "账号 #7",
        "排班 · 2026-03",
        "设置 hours",
        '<a href="/cases/1">个案 #1</a>',
        "值班社工 → 督导",
        "10.1.1.3",
        "管理员甲",
        "2026-03-01 10:00:00",
    ):
        assert fragment in page
    assert 'href="/manage/audit"' in page


def test_the_log_filters_by_who_what_when_and_where(
    client: Any, login_as: Any, db_session: Any, make_user: Any
) -> None:
    admin = seed_entries(db_session, make_user)
    login_as("manager")
    page = client.get("/manage/audit?action=rota.publish").get_data(as_text=True)
    assert "排班 · 2026-03" in page and "账号 #7" not in page
    page = client.get("/manage/audit?address=10.1.1.1").get_data(as_text=True)
    assert "账号 #7" in page and "排班 · 2026-03" not in page
    page = client.get(f"/manage/audit?actor_id={admin.id}&date_from=2026-03-01&date_to=2026-03-01").get_data(
        as_text=True
    )
    assert "个案 #1" in page
    assert "个案 #1" not in client.get("/manage/audit?date_from=2026-03-02").get_data(as_text=True)
    assert client.get("/manage/audit?date_from=yesterday").status_code == 422


def test_supervisors_may_not_read_the_audit_log(client: Any, login_as: Any) -> None:
    login_as("supervisor")
    assert client.get("/manage/audit").status_code == 403
    assert "/manage/audit" not in client.get("/").get_data(as_text=True)


def test_the_retention_page_saves_periods_and_previews_a_dry_run(client: Any, login_as: Any, db_session: Any) -> None:
    login_as("manager")
    page = client.get("/manage/retention").get_data(as_text=True)
    assert 'value="12"' in page and 'value="90"' in page
    token = csrf_token(client, "/manage/retention")
    data = {
        "recordings_days": "60",
        "case_caller_months": "6",
        "call_number_months": "12",
        "draft_days": "7",
        "legal_hold_days": "365",
        "csrf_token": token,
    }
    assert client.post("/manage/retention", data=data).status_code == 302
    assert 'value="6"' in client.get("/manage/retention").get_data(as_text=True)
    page = client.get("/manage/audit?action=settings.change").get_data(as_text=True)
    assert "已结案个案中来电人姓名和号码保留月数：12 → 6" in page
    data["draft_days"] = "0"
    assert client.post("/manage/retention", data=data).status_code == 422
