"""Health, the language switch, request logs."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest


def test_healthz_reports_the_database(client: Any) -> None:
    response = client.get("/healthz")
    body = response.get_json()
    assert response.status_code == 200
    assert body["status"] == "ok" and body["checks"]["database"]["ok"] is True


def test_language_switch_refuses_open_redirects(client: Any) -> None:
    response = client.get("/lang/en?next=https://evil.example/")
    assert response.headers["Location"] == "/"
    assert "hotline_lang=en" in response.headers["Set-Cookie"]


def test_each_request_logs_one_json_line_with_a_request_id_and_no_number(
    client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from hotline.request_log import JsonFormatter

    logger = logging.getLogger("hotline")
    logger.addHandler(caplog.handler)
    try:
        response = client.get("/login?phone=13812345678")
    finally:
        logger.removeHandler(caplog.handler)
    records = [record for record in caplog.records if record.name == "hotline.requests"]
    assert len(records) == 1
    line = JsonFormatter().format(records[0])
    entry = json.loads(line)
    assert entry["status"] == 200 and entry["path"] == "/login"
    assert "13812345678" not in line
    assert response.headers["X-Request-ID"]


def test_phone_numbers_are_scrubbed_from_log_messages() -> None:
    from hotline.request_log import scrub

    assert scrub("caller +8613812345678 rang") == "caller [number] rang"


def test_the_site_has_an_icon(client: Any) -> None:
    page = client.get("/login").get_data(as_text=True)
    assert 'rel="icon"' in page and "favicon.svg" in page
    moved = client.get("/favicon.ico")
    assert moved.status_code == 301 and moved.headers["Location"].endswith("/static/favicon.svg")
    icon = client.get("/static/favicon.svg")
    try:
        assert icon.status_code == 200 and icon.mimetype == "image/svg+xml" and b"<svg" in icon.data
    finally:
        icon.close()
