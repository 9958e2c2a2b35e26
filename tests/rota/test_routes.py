"""The rota over HTTP: the on-duty API with the demo data, the rota API, the editor's calls and pages."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine

from hotline.demo import seed_demo
from hotline.rota import autodraft
from hotline.rota.models import DraftRequest
from tests.conftest import csrf_token, log_in
from tests.rota.conftest import local

DEMO_NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # Tuesday 10:00 in Shanghai
DAY = date(2026, 3, 10)


@pytest.fixture(autouse=True)
def frozen() -> Any:
    """Monday 2026-03-09, 10:00 in Shanghai: the shifts of the 10th are still ahead."""
    with time_machine.travel(datetime(2026, 3, 9, 2, 0, tzinfo=UTC), tick=False):
        yield


@pytest.fixture
def demo(db_session: Any) -> None:
    seed_demo(db_session, DEMO_NOW)


def test_oncall_with_the_demo_lists_certified_workers_at_ten_and_at_three(
    demo: None, client: Any, make_user: Any
) -> None:
    log_in(client, make_user("worker"))
    answer = client.get("/api/v1/oncall?at=2026-03-10T10:00:00+08:00").get_json()
    duty = [w for w in answer["workers"] if w["duty"] == "duty_worker"]
    supervisors = [w for w in answer["workers"] if w["duty"] == "supervisor"]
    assert len(duty) >= 2 and len(supervisors) >= 1
    assert all(w["level"] in ("assistant", "intermediate", "senior") for w in answer["workers"])
    assert any(w["level"] in ("intermediate", "senior") for w in duty)
    assert answer["experts"] and answer["experts"][0]["skill"]
    # The demo line is staffed around the clock: at three in the morning the night shift is on.
    night = client.get("/api/v1/oncall?at=2026-03-10T03:00:00+08:00").get_json()["workers"]
    assert night and all(w["shift"]["label"] == "夜班" for w in night)
    assert len(client.get("/api/v1/oncall").get_json()["workers"]) >= 3  # now: Monday 10:00


def test_oncall_refuses_bad_parameters(client: Any, login_as: Any) -> None:
    login_as("worker")
    assert client.get("/api/v1/oncall?at=yesterday").status_code == 400
    naive = client.get("/api/v1/oncall?at=2026-03-10T10:00:00")  # RFC 3339 needs the offset
    assert naive.status_code == 400 and "at" in naive.get_json()["error"]["fields"]
    assert client.get("/api/v1/oncall?role=boss&at=2026-03-10T10:00:00Z").status_code == 400


def test_the_rota_api_shows_the_published_rota_and_the_draft_to_managers(
    client: Any, make_user: Any, make_shift: Any, crew: dict
) -> None:
    shift = make_shift(DAY, 9, 13, workers=[crew["ann"]], supervisors=[crew["sue"]])
    make_shift(DAY, 13, 17, workers=[crew["bo"]], status="draft")
    log_in(client, make_user("worker"))
    published = client.get("/api/v1/rota?from=2026-03-10&to=2026-03-10").get_json()
    assert [s["id"] for s in published["shifts"]] == [shift.id]
    assert {a["name"] for a in published["shifts"][0]["assignments"]} == {"Ann", "Sue"}
    assert client.get("/api/v1/rota?from=2026-03-10&to=2026-03-10&layer=draft").status_code == 403
    log_in(client, make_user("manager"))
    draft = client.get("/api/v1/rota?from=2026-03-10&to=2026-03-10&layer=draft").get_json()
    assert len(draft["shifts"]) == 2
    backwards = client.get("/api/v1/rota?from=2026-03-10&to=2026-03-01").get_json()
    assert (backwards["from"], backwards["to"]) == ("2026-03-01", "2026-03-10")


def api_headers(client: Any) -> dict[str, str]:
    return {"X-CSRFToken": csrf_token(client, "/rota")}


def test_editor_calls_add_refuse_with_reason_move_remove_and_validate(
    client: Any, make_user: Any, make_shift: Any, crew: dict
) -> None:
    log_in(client, make_user("manager"))
    morning = make_shift(DAY, 9, 13, status="draft")
    afternoon = make_shift(DAY, 13, 17, status="draft")
    headers = api_headers(client)
    refused = client.post(
        "/api/v1/rota/assignments",
        json={"shift_id": morning.id, "duty": "duty_worker", "user_id": crew["old"].id},
        headers=headers,
    )
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "certificate_expired"
    assert "2025-12-31" in refused.get_json()["error"]["message"]
    added = client.post(
        "/api/v1/rota/assignments",
        json={"shift_id": morning.id, "duty": "duty_worker", "user_id": crew["ann"].id},
        headers=headers,
    )
    assert added.status_code == 201
    moved = client.patch(
        f"/api/v1/rota/assignments/{added.get_json()['id']}", json={"shift_id": afternoon.id}, headers=headers
    )
    assert moved.status_code == 200
    check = client.post(
        "/api/v1/rota/validate", json={"from": "2026-03-10", "to": "2026-03-10"}, headers=headers
    ).get_json()
    assert check["errors"] >= 4 and {"understaffed", "no_supervisor"} <= {i["rule"] for i in check["issues"]}
    assert client.delete(f"/api/v1/rota/assignments/{moved.get_json()['id']}", headers=headers).status_code == 204
    assert client.delete(f"/api/v1/rota/assignments/{moved.get_json()['id']}", headers=headers).status_code == 404
    board = client.get("/api/v1/rota/board?anchor=2026-03-10").get_json()
    assert board["from"] == "2026-03-09" and {s["id"] for s in board["shifts"]} == {morning.id, afternoon.id}


def test_the_editor_page_in_chinese_and_english(client: Any, make_user: Any, make_shift: Any, crew: dict) -> None:
    log_in(client, make_user("manager"))
    make_shift(DAY, 9, 13, workers=[crew["ann"]])
    page = client.get("/rota?date=2026-03-10").get_data(as_text=True)
    assert "排班" in page and "rota-editor.js" in page and '"Ann"' in page
    client.get("/lang/en?next=/rota")
    page = client.get("/rota?date=2026-03-10&view=month").get_data(as_text=True)
    assert "Publish" in page and "Fill automatically" in page


def test_publishing_with_errors_needs_a_reason(client: Any, make_user: Any, make_shift: Any, crew: dict) -> None:
    log_in(client, make_user("manager"))
    make_shift(DAY, 9, 13, workers=[crew["cy"]], status="draft")
    token = csrf_token(client, "/rota")
    form = {"date_from": "2026-03-10", "date_to": "2026-03-10", "csrf_token": token}
    blocked = client.post("/rota/publish", data=form)
    assert blocked.status_code == 422 and "原因" in blocked.get_data(as_text=True)
    done = client.post("/rota/publish", data={**form, "override_reason": "临时缺人"})
    assert done.status_code == 302
    log_in(client, make_user("worker"))
    assert client.get("/api/v1/oncall?at=2026-03-10T10:00:00+08:00").get_json()["workers"][0]["name"] == "Cy"


def test_an_automatic_draft_request_over_http(
    app: Any, client: Any, make_user: Any, make_shift: Any, crew: dict, db_session: Any
) -> None:
    app.config["ROTA_AUTODRAFT_THREAD"] = False  # the test runs it as the scheduler would
    try:
        log_in(client, make_user("manager"))
        make_shift(DAY, 9, 13, status="draft")
        headers = api_headers(client)
        queued = client.post("/api/v1/rota/drafts", json={"from": "2026-03-10", "to": "2026-03-10"}, headers=headers)
        assert queued.status_code == 202 and queued.get_json()["status"] == "queued"
        request_id = queued.get_json()["id"]
        autodraft.run_request(db_session, request_id, datetime(2026, 3, 9, 2, 0, tzinfo=UTC))
        state = client.get(f"/api/v1/rota/drafts/{request_id}").get_json()
        assert state["status"] == "done" and state["progress"] == 100
        assert db_session.get(DraftRequest, request_id).result["assignments"] == 3
        assert client.get("/api/v1/rota/drafts/999999").status_code == 404
    finally:
        app.config["ROTA_AUTODRAFT_THREAD"] = True


def test_calendar_feed_links_are_private_and_revocable(app: Any, client: Any, make_shift: Any, crew: dict) -> None:
    make_shift(DAY, 9, 13, workers=[crew["ann"]], supervisors=[crew["sue"]])
    log_in(client, crew["ann"])
    page = client.post("/rota/mine/feeds", data={"scope": "own", "csrf_token": csrf_token(client, "/rota/mine")})
    url = page.get_data(as_text=True).split('id="new-feed">')[1].split("<")[0]
    path = url.split("localhost", 1)[1]
    feed = app.test_client().get(path)
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    body = feed.get_data(as_text=True)
    assert "BEGIN:VEVENT" in body and "DTSTART:20260310T010000Z" in body and "值班社工" in body
    refused = client.post("/rota/mine/feeds", data={"scope": "all", "csrf_token": csrf_token(client, "/rota/mine")})
    assert refused.status_code == 403
    token_id = int(client.get("/rota/mine").get_data(as_text=True).split("/rota/mine/feeds/")[1].split("/")[0])
    client.post(f"/rota/mine/feeds/{token_id}/revoke", data={"csrf_token": csrf_token(client, "/rota/mine")})
    assert app.test_client().get(path).status_code == 404
    assert app.test_client().get("/ical/cal_guess.ics").status_code == 404


def test_the_managers_whole_rota_feed(app: Any, client: Any, make_user: Any, make_shift: Any, crew: dict) -> None:
    make_shift(DAY, 9, 13, workers=[crew["ann"], crew["bo"]], supervisors=[crew["sue"]])
    log_in(client, make_user("manager"))
    page = client.post("/rota/mine/feeds", data={"scope": "all", "csrf_token": csrf_token(client, "/rota/mine")})
    path = page.get_data(as_text=True).split('id="new-feed">')[1].split("<")[0].split("localhost", 1)[1]
    body = app.test_client().get(path).get_data(as_text=True)
    assert "Ann" in body and "Bo" in body and "督导" in body


def test_a_worker_asks_for_leave_and_a_swap(client: Any, make_shift: Any, crew: dict) -> None:
    shift = make_shift(DAY, 9, 13, workers=[crew["ann"], crew["cy"]], supervisors=[crew["sue"]])
    log_in(client, crew["ann"])
    page = client.get("/rota/mine").get_data(as_text=True)
    assert "上午班" in page and "Bo" in page
    token = csrf_token(client, "/rota/mine")
    bad = client.post(
        "/rota/mine/leave",
        data={"leave-starts_at": "2026-03-10T17:00", "leave-ends_at": "2026-03-10T09:00", "csrf_token": token},
    )
    assert bad.status_code == 422
    good = client.post(
        "/rota/mine/leave",
        data={"leave-starts_at": "2026-03-12T00:00", "leave-ends_at": "2026-03-13T00:00", "csrf_token": token},
    )
    assert good.status_code == 302
    swap = client.post(
        "/rota/mine/swap", data={"swap-shift_id": shift.id, "swap-colleague_id": crew["bo"].id, "csrf_token": token}
    )
    assert swap.status_code == 302
    refused = client.post(
        "/rota/mine/swap", data={"swap-shift_id": shift.id, "swap-colleague_id": crew["old"].id, "csrf_token": token}
    )
    assert refused.status_code == 422
    page = client.get("/rota/mine").get_data(as_text=True)
    assert page.count("待审批") >= 2 or page.count("pending") >= 2


def test_a_manager_decides_requests(client: Any, make_user: Any, make_shift: Any, crew: dict) -> None:
    from hotline.rota import swaps

    shift = make_shift(DAY, 9, 13, workers=[crew["ann"], crew["cy"]], supervisors=[crew["sue"]])
    from hotline.extensions import db

    swap = swaps.request_swap(db.session, crew["ann"], shift.id, crew["bo"].id, datetime(2026, 3, 9, 2, 0, tzinfo=UTC))
    log_in(client, make_user("manager"))
    page = client.get("/rota/requests").get_data(as_text=True)
    assert "Ann" in page and "Bo" in page
    response = client.post(
        f"/rota/requests/swap/{swap.id}", data={"approve": "y", "csrf_token": csrf_token(client, "/rota/requests")}
    )
    assert response.status_code == 302
    assert swap.status == "approved"


def test_workers_and_certificates_pages(client: Any, make_user: Any, crew: dict, make_shift: Any) -> None:
    make_shift(DAY, 9, 13, workers=[crew["old"]])
    log_in(client, make_user("manager"))
    listing = client.get("/manage/workers").get_data(as_text=True)
    assert "Old" in listing and "无有效证书" in listing or "No valid certificate" in listing
    token = csrf_token(client, "/manage/workers/new")
    bad = client.post(
        "/manage/workers/new",
        data={
            "username": "x y",
            "display_name": "李明",
            "role": "worker",
            "password": "long-enough-pw",
            "csrf_token": token,
        },
    )
    assert bad.status_code == 422 and 'value="李明"' in bad.get_data(as_text=True)
    created = client.post(
        "/manage/workers/new",
        data={
            "username": "liming",
            "display_name": "李明",
            "role": "worker",
            "password": "long-enough-pw",
            "phone": "13912345678",
            "skills": ["crisis"],
            "max_hours": "20",
            "csrf_token": token,
        },
    )
    assert created.status_code == 302
    worker_url = created.headers["Location"]
    page = client.get(worker_url).get_data(as_text=True)
    assert "李明" in page and "+8613912345678" in page
    cert = client.post(
        worker_url + "/certificates",
        data={
            "cert-level": "intermediate",
            "cert-number": "SW2026001",
            "cert-issuing_body": "人社部",
            "cert-valid_until": "2028-12-31",
            "csrf_token": token,
        },
    )
    assert cert.status_code == 302
    assert "SW2026001" in client.get(worker_url).get_data(as_text=True)
    flagged = client.get(f"/manage/workers/{crew['old'].id}").get_data(as_text=True)
    assert "2025-12-31" in flagged


def test_calendar_page_and_confirmation(client: Any, make_user: Any) -> None:
    log_in(client, make_user("manager"))
    page = client.get("/rota/calendar?year=2026").get_data(as_text=True)
    assert "2026-10-01" in page and "2026-02-14" in page
    page = client.get("/rota/calendar?year=2031").get_data(as_text=True)
    assert 'id="confirm-year"' in page
    token = csrf_token(client, "/rota/calendar?year=2031")
    assert client.post("/rota/calendar/2031/confirm", data={"csrf_token": token}).status_code == 302
    assert (
        client.post(
            "/rota/calendar/day",
            data={"day": "2031-10-01", "kind": "holiday", "holiday_name": "国庆节", "csrf_token": token},
        ).status_code
        == 302
    )
    assert "国庆节" in client.get("/rota/calendar?year=2031").get_data(as_text=True)


def test_the_generate_form_asks_for_an_unconfirmed_calendar(client: Any, make_user: Any) -> None:
    log_in(client, make_user("manager"))
    token = csrf_token(client, "/rota")
    response = client.post("/rota/generate", data={"monday": "2031-01-06", "weeks": "1", "csrf_token": token})
    assert response.status_code == 302 and "/rota/calendar?year=2031" in response.headers["Location"]
    response = client.post("/rota/generate", data={"monday": "2031-01-07", "weeks": "1", "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].endswith("/rota")


def test_versions_and_rules_pages(client: Any, make_user: Any) -> None:
    log_in(client, make_user("manager"))
    assert client.get("/rota/versions").status_code == 200
    token = csrf_token(client, "/rota/rules")
    saved = client.post(
        "/rota/rules",
        data={
            "max_hours_per_week": "30",
            "min_rest_hours": "11",
            "supervisor_min_level": "senior",
            "reminder_hours_before": "3",
            "weekend_weight": "1.5",
            "holiday_weight": "2",
            "target_answer_share": "0.8",
            "target_answer_seconds": "20",
            "autodraft_time_limit_seconds": "20",
            "csrf_token": token,
        },
    )
    assert saved.status_code == 302
    assert 'value="30"' in client.get("/rota/rules").get_data(as_text=True)


def test_local_helper_is_shanghai() -> None:
    assert local(DAY, 9).utcoffset().total_seconds() == 8 * 3600


def test_published_shifts_without_a_version_are_not_called_never_published(
    client: Any, make_user: Any, make_shift: Any
) -> None:
    make_shift(date(2026, 3, 9), workers=[make_user("worker")])
    log_in(client, make_user("manager"))
    for url in ("/rota/versions", "/rota?date=2026-03-09"):
        page = client.get(url, headers={"Accept-Language": "zh"}).get_data(as_text=True)
        assert "尚未发布过" not in page and "没有记录版本" in page, url
