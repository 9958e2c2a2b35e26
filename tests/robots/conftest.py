"""The stand-in robots server, its clock pinned to the suite's frozen moment."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.robots import RobotServer


@pytest.fixture
def robots_server() -> Iterator[RobotServer]:
    """WeCom, DingTalk and Feishu stand-ins on a free port."""
    server = RobotServer().start()
    yield server
    server.stop()
