"""The wallboard over HTTP: supervisors only, the fragment, the manager's thresholds."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hotline.clock import utcnow
from tests.conftest import csrf_token, log_in
from tests.routing.conftest import queue_call


def test_supervisors_see_the_wallboard_and_workers_do_not(client: Any, db_session: Any, make_user: Any) -> None:
    queue_call(db_session, queued_at=utcnow() - timedelta(seconds=20), service="emotional")
    log_in(client, make_user("worker"))
    assert client.get("/wallboard").status_code == 403
    log_in(client, make_user("supervisor"))
    page = client.get("/wallboard").get_data(as_text=True)
    assert 'data-figure="waiting">1<' in page and "情绪疏导" in page
    assert 'data-figure="waiting">1<' in client.get("/wallboard/fragment").get_data(as_text=True)


def test_a_manager_sets_the_thresholds_and_bad_values_are_explained(client: Any, make_user: Any) -> None:
    log_in(client, make_user("manager"))
    token = csrf_token(client, "/wallboard/thresholds")
    data = {
        "longest_wait_seconds": "45",
        "service_level_percent": "80",
        "abandonment_percent": "10",
        "callbacks_overdue": "1",
        "offered_seconds": "20",
        "on_call_minutes": "30",
        "wrap_up_minutes": "5",
        "away_minutes": "0",
    }
    refused = client.post("/wallboard/thresholds", data=data, headers={"X-CSRFToken": token})
    assert refused.status_code == 400 and "1" in refused.get_data(as_text=True)
    data["away_minutes"] = "15"
    assert client.post("/wallboard/thresholds", data=data, headers={"X-CSRFToken": token}).status_code == 302
    assert 'value="45"' in client.get("/wallboard/thresholds").get_data(as_text=True)
