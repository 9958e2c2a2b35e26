"""Close the Socket.IO connections of sessions that ended and of API tokens revoked.

Each web process keeps which of its connections belong to which log-in session (a
browser's cookie) or API token (a client's `Authorization: Bearer`) and, every
SESSION_SOCKET_CHECK_SECONDS, asks the database (one query for the sessions, one for
the tokens) which are still live; it disconnects the others. This works with any
number of processes and whichever process ended the session or revoked the token
(log-out, password or role change, an account disabled, "log out everywhere", a
token revoked on the profile page, lifetimes).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from flask import Flask

from hotline.accounts import services, sessions
from hotline.clock import utcnow
from hotline.extensions import db, socketio

log = logging.getLogger("hotline.console.session_watch")
_lock = threading.Lock()
SESSION, TOKEN = "session", "token"
_connections: dict[str, tuple[str, int]] = {}
_started: set[int] = set()


def watch(app: Flask, sid: str, session_id: int | None = None, token_id: int | None = None) -> None:
    """Remember that connection `sid` belongs to a log-in session or an API token; start the checker once."""
    with _lock:
        _connections[sid] = (SESSION, session_id) if session_id is not None else (TOKEN, int(token_id or 0))
        if app.config["SESSION_SOCKET_CHECK_SECONDS"] > 0 and id(app) not in _started:
            _started.add(id(app))
            socketio.start_background_task(_check_forever, app)


def forget(sid: str) -> None:
    """Forget a closed connection."""
    with _lock:
        _connections.pop(sid, None)


def check_once(app: Flask) -> list[str]:
    """Disconnect the connections whose session ended or whose token was revoked; return their ids."""
    with _lock:
        watched = dict(_connections)
    if not watched:
        return []
    session_ids = {key for kind, key in watched.values() if kind == SESSION}
    token_ids = {key for kind, key in watched.values() if kind == TOKEN}
    with app.app_context():
        try:
            lifetimes = sessions.lifetimes_from(app.config)
            alive = {(SESSION, key) for key in sessions.still_live(db.session, session_ids, utcnow(), lifetimes)}
            alive |= {(TOKEN, key) for key in services.live_tokens(db.session, token_ids)}
        finally:
            db.session.remove()
    closed = [sid for sid, owner in watched.items() if owner not in alive]
    for sid in closed:
        forget(sid)
        socketio.server.disconnect(sid, namespace="/")
    return closed


def _check_forever(app: Flask) -> Any:
    """Run check_once every SESSION_SOCKET_CHECK_SECONDS for as long as the process lives."""
    while True:
        interval = app.config["SESSION_SOCKET_CHECK_SECONDS"]
        socketio.sleep(max(interval, 1))
        if interval <= 0:
            continue
        try:
            check_once(app)
        except Exception:  # noqa: BLE001  (a failed round must not stop the checker; the next one retries)
            log.exception("could not check the sessions of open connections")
