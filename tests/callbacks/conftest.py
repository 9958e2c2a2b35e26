"""Callback fixtures: the clock pinned, a recording phone provider, the outbox kept for the tests to read."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from flask import Flask

from hotline.telephony.providers import RecordingProvider

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # Tuesday 10:00 in Shanghai


@pytest.fixture
def clock() -> Iterator[Any]:
    """Freeze time at NOW (log-in cookies are signed with the clock)."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def provider(app: Flask) -> Iterator[RecordingProvider]:
    """Record what the line is asked to do; keep outbox commands for the test to read."""
    recorder = RecordingProvider()
    saved = app.extensions.get("hotline_telephony"), app.config.get("TELEPHONY_OUTBOX_DISPATCH", True)
    app.extensions["hotline_telephony"] = recorder
    app.config["TELEPHONY_OUTBOX_DISPATCH"] = False
    yield recorder
    app.extensions["hotline_telephony"], app.config["TELEPHONY_OUTBOX_DISPATCH"] = saved
