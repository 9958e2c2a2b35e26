"""Waiting for something done in the background (a thread, another process) to show."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def until(check: Callable[[], Any], timeout: float = 20.0, interval: float = 0.2) -> Any:
    """Call check() until it returns something true, and return that; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"not true after {timeout} s: {check.__doc__ or check}")
