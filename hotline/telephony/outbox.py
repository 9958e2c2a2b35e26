"""The outbox of REST requests to the phone network: never inside a webhook's response path.

A service queues a `TelephonyCommand` in its own transaction; after the commit
the route calls `dispatch(...)`, which hands the command to a small thread pool.
A failure is retried later by the scheduler job (`retry_commands`) when that is
safe: redirects and hang-ups may repeat; an SMS or a new call whose fate is
unknown is marked `uncertain` and logged, never resent blindly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hotline.clock import utcnow
from hotline.telephony.models import TelephonyCommand
from hotline.telephony.providers import TelephonyError, TelephonyProvider

log = logging.getLogger("hotline.telephony.outbox")
IDEMPOTENT = frozenset({"redirect_call", "hang_up"})
MAX_ATTEMPTS = 5
STALE_AFTER = timedelta(minutes=2)
_executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="telephony-outbox")


def run_in_background(app: Flask, function: Callable[..., Any], *args: Any) -> Future[Any]:
    """Run a function in the pool inside an app context; log its failure."""

    def run() -> Any:
        with app.app_context():
            try:
                return function(*args)
            except Exception:  # noqa: BLE001  (a background failure must be logged, not lost)
                log.exception("background telephony work failed")
                return None

    return _executor.submit(run)


def queue_command(session: Session, kind: str, now: datetime, call_sid: str | None = None, **payload: Any) -> int:
    """Add a command to the outbox in the caller's transaction; return its id."""
    command = TelephonyCommand(kind=kind, call_sid=call_sid, payload=payload, due_at=now, created_at=now)
    session.add(command)
    session.flush()
    return command.id


def dispatch(app: Flask, command_ids: Iterable[int], provider: TelephonyProvider | None = None) -> list[Future[Any]]:
    """Send committed commands now, in the background (call only after the commit)."""
    if not app.config.get("TELEPHONY_OUTBOX_DISPATCH", True):
        return []
    return [run_in_background(app, _send_one, command_id, provider) for command_id in command_ids]


def _send_one(command_id: int, provider: TelephonyProvider | None) -> str | None:
    from hotline.extensions import db
    from hotline.telephony.providers import get_provider

    with Session(db.engine) as session:
        return process_command(session, command_id, provider or get_provider(), utcnow())


def _claim(session: Session, command_id: int, now: datetime, *, due_only: bool) -> TelephonyCommand | None:
    """Take a pending command for this worker (one winner even when two race); commit the claim."""
    conditions = [TelephonyCommand.id == command_id, TelephonyCommand.status == "pending"]
    if due_only:
        conditions.append(TelephonyCommand.due_at <= now)
    claimed = session.execute(
        update(TelephonyCommand)
        .where(*conditions)
        .values(
            status="sending", attempts=TelephonyCommand.attempts + 1, version=TelephonyCommand.version + 1, due_at=now
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    return session.get(TelephonyCommand, command_id) if claimed == 1 else None


def execute(command: TelephonyCommand, provider: TelephonyProvider) -> str | None:
    """Perform one command through the provider; return the created sid, if any."""
    payload = command.payload or {}
    if command.kind == "redirect_call":
        provider.redirect_call(command.call_sid or "", payload["url"])
        return None
    if command.kind == "hang_up":
        provider.hang_up(command.call_sid or "")
        return None
    if command.kind == "send_sms":
        return provider.send_sms(payload["to"], payload["body"], payload.get("status_callback"))
    if command.kind == "place_call":
        return provider.place_call(payload["to"], payload["url"], payload.get("status_callback"))
    raise TelephonyError(f"unknown command kind {command.kind!r}")


def process_command(
    session: Session, command_id: int, provider: TelephonyProvider, now: datetime, *, due_only: bool = False
) -> str | None:
    """Claim, send and record one command; return its new status (None if someone else had it)."""
    command = _claim(session, command_id, now, due_only=due_only)
    if command is None:
        return None
    # No transaction stays open during the provider's HTTP request: on SQLite its read lock
    # would make the webhook that request triggers (a redirect's TwiML fetch) and this commit
    # deadlock ("database is locked").
    session.expunge(command)
    session.commit()
    try:
        command.result = execute(command, provider)
        command.status = "done"
        command.last_error = None
    except TelephonyError as exc:
        command.last_error = str(exc)[:500]
        retry = exc.retryable and command.attempts < MAX_ATTEMPTS
        if command.kind not in IDEMPOTENT and exc.maybe_done:
            command.status = "uncertain"
            log.error("telephony %s %s may or may not have happened: %s", command.kind, command.id, exc)
        elif retry:
            command.status = "pending"
            command.due_at = now + timedelta(seconds=5 * 2 ** (command.attempts - 1))
            log.warning("telephony %s %s failed, will retry: %s", command.kind, command.id, exc)
        else:
            command.status = "failed"
            log.error("telephony %s %s failed: %s", command.kind, command.id, exc)
    # One UPDATE, not a read then a write: on SQLite a read first can deadlock with a webhook's write.
    outcome = {name: getattr(command, name) for name in ("status", "result", "last_error", "due_at")}
    session.execute(
        update(TelephonyCommand)
        .where(TelephonyCommand.id == command.id)
        .values(**outcome)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return command.status


def retry_commands(session: Session, provider: TelephonyProvider, now: datetime) -> int:
    """Send due pending commands and settle ones stuck in `sending` (a process died); return how many ran."""
    stale = session.scalars(
        select(TelephonyCommand).where(
            TelephonyCommand.status == "sending", TelephonyCommand.due_at <= now - STALE_AFTER
        )
    ).all()
    for command in stale:
        command.status = "pending" if command.kind in IDEMPOTENT else "uncertain"
        log.warning("telephony %s %s was interrupted; now %s", command.kind, command.id, command.status)
    session.commit()
    due = session.scalars(
        select(TelephonyCommand.id)
        .where(TelephonyCommand.status == "pending", TelephonyCommand.due_at <= now)
        .order_by(TelephonyCommand.due_at)
        .limit(100)
    ).all()
    done = 0
    for command_id in due:
        if process_command(session, command_id, provider, now, due_only=True) is not None:
            done += 1
    return done
