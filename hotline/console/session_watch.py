"""Close the Socket.IO connections of sessions that ended (log-out, password change, lifetime…).

Each web process keeps which of its connections belong to which log-in session and,
every SESSION_SOCKET_CHECK_SECONDS, asks the database (one query) which of those
sessions are still live; it disconnects the others. This works with any number of
processes and whichever process ended the session.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from flask import Flask

from hotline.accounts import sessions
from hotline.clock import utcnow
from hotline.extensions import db, socketio

log = logging.getLogger("hotline.console.session_watch")
_lock = threading.Lock()
_connections: dict[str, int] = {}
_started: set[int] = set()


def watch(app: Flask, sid: str, session_id: int) -> None:
    """Remember that connection `sid` belongs to log-in session `session_id`; start the checker once."""
    with _lock:
        _connections[sid] = session_id
        if app.config["SESSION_SOCKET_CHECK_SECONDS"] > 0 and id(app) not in _started:
            _started.add(id(app))
            socketio.start_background_task(_check_forever, app)


def forget(sid: str) -> None:
    """Forget a closed connection."""
    with _lock:
        _connections.pop(sid, None)


def check_once(app: Flask) -> list[str]:
    """Disconnect the connections whose session is no longer live; return their ids."""
    with _lock:
        watched = dict(_connections)
    if not watched:
        return []
    with app.app_context():
        try:
            lifetimes = sessions.lifetimes_from(app.config)
            alive = sessions.still_live(db.session, set(watched.values()), utcnow(), lifetimes)
        finally:
            db.session.remove()
    closed = [sid for sid, session_id in watched.items() if session_id not in alive]
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
