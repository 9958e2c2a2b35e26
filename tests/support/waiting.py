"""Waiting for something done in the background (a thread, another process) to show."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def until(
    check: Callable[[], Any],
    timeout: float = 20.0,
    interval: float = 0.2,
    ignoring: tuple[type[BaseException], ...] = (),
) -> Any:
    """Call check() until it returns something true, and return that; fail after `timeout` seconds.

    Exceptions of the `ignoring` types (a server not up yet: `requests.RequestException`)
    count as "not yet".
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = check()
        except ignoring:
            value = None
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"not true after {timeout} s: {check.__doc__ or check}")
        time.sleep(interval)
