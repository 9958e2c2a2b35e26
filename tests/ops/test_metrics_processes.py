"""Multiprocess metrics: two web processes sharing PROMETHEUS_MULTIPROC_DIR; a scrape of either counts both."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.ops.conftest import call_form, post

pytestmark = pytest.mark.timeout(120)


def webhook_count(server: Any) -> float:
    """Return the incoming-call webhooks the scraped process reports."""
    for family in text_string_to_metric_families(requests.get(server.url + "/metrics", timeout=5).text):
        for sample in family.samples:
            if sample.name == "hotline_webhook_duration_seconds_count":
                if sample.labels.get("route") == "/twilio/voice/incoming":
                    return sample.value
    return 0.0


def test_either_process_reports_the_webhooks_of_both(fault_database: str, start_server: Any, tmp_path: Path) -> None:
    shared = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics")}
    first, second = start_server(fault_database, **shared), start_server(fault_database, **shared)
    for number in range(3):
        assert post(first, "/twilio/voice/incoming", call_form(f"CAmet{number:04d}", number)).ok
    for number in range(3, 5):
        assert post(second, "/twilio/voice/incoming", call_form(f"CAmet{number:04d}", number)).ok
    assert webhook_count(first) == webhook_count(second) == 5
