"""Client-side rate limits: count the posts each robot took in its windows before posting again.

The count lives in `robot_sends`, so every process (web and scheduler) sees the
same posts. A robot that answered with its rate-limit code is left alone for
its block time (DingTalk: 10 minutes).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hotline.privacy import cipher
from hotline.robots.clients import BLOCKED_SECONDS, LIMITS, Robot
from hotline.robots.models import RobotSend

KEEP = timedelta(hours=1)


def robot_hash(robot: Robot) -> str:
    """Return the keyed hash that names a robot in `robot_sends`."""
    return cipher().lookup_hash(robot.url)


def seconds_to_wait(session: Session, robot: Robot, now: datetime) -> float:
    """Return how long until the robot takes another post (0: now)."""
    key = robot_hash(robot)
    longest = max(window for window, _ in LIMITS[robot.kind])
    block = BLOCKED_SECONDS[robot.kind]
    since = now - timedelta(seconds=max(longest, block))
    rows = session.execute(
        select(RobotSend.at, RobotSend.outcome)
        .where(RobotSend.robot == key, RobotSend.at > since, RobotSend.at <= now)
        .order_by(RobotSend.at.desc())
    ).all()
    wait = 0.0
    for at, outcome in rows:
        if outcome == "limited":
            wait = max(wait, (at + timedelta(seconds=block) - now).total_seconds())
            break
    for window, most in LIMITS[robot.kind]:
        inside = [at for at, outcome in rows if outcome != "limited" and at > now - timedelta(seconds=window)]
        if len(inside) >= most:
            wait = max(wait, (inside[most - 1] + timedelta(seconds=window) - now).total_seconds())
    return wait


def record(session: Session, robot: Robot, now: datetime, outcome: str) -> None:
    """Count one post (sent, failed or limited) and forget this robot's posts older than an hour."""
    key = robot_hash(robot)
    session.execute(delete(RobotSend).where(RobotSend.robot == key, RobotSend.at < now - KEEP))
    session.add(RobotSend(robot=key, kind=robot.kind, at=now, outcome=outcome))
