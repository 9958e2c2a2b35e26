"""Post to a robot within its rate limit and count the post: the one way the application reaches a robot."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import requests
from sqlalchemy.orm import Session

from hotline.robots import limits
from hotline.robots.clients import Message, Robot, RobotError, send


def post(session: Session, robot: Robot, message: Message, now: datetime, http: Any = requests) -> str:
    """Post a message unless the robot's rate limit says wait; count it; return the post's id.

    The caller commits (the count is part of its transaction).

    Raises:
        RobotError: the rate limit says wait (`retry_after`, nothing was posted), or the post failed.
    """
    wait = limits.seconds_to_wait(session, robot, now)
    if wait > 0:
        raise RobotError(f"rate limit: wait {wait:.0f} s", retry_after=wait)
    try:
        post_id = send(robot, message, int(now.timestamp() * 1000), http)
    except RobotError as error:
        limits.record(session, robot, now, "limited" if error.rate_limited else "failed")
        raise
    limits.record(session, robot, now, "sent")
    return post_id
