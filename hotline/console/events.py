"""Socket.IO events of the console: authenticated connections, rooms, heartbeats.

A connection is refused unless the login session (or an API token) identifies a member
of staff, and closed within seconds once that session ends or the token is revoked
(`session_watch`).
Each connection joins "console", "user:<id>" and "role:<role>" for every role the
user's role includes, so a manager also gets what supervisors get.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, g, request
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, join_room

from hotline.clock import utcnow
from hotline.console import session_watch
from hotline.extensions import db, socketio
from hotline.push import CONSOLE_ROOM, role_room, user_room
from hotline.vocabulary import Role


def on_connect(auth: Any = None) -> None:
    """Accept a logged-in user's console and put it in its rooms; refuse anyone else."""
    if not current_user.is_authenticated:
        raise ConnectionRefusedError("unauthorized")
    if g.get("user_session_id") is not None:
        session_watch.watch(current_app._get_current_object(), request.sid, session_id=g.user_session_id)
    elif g.get("api_token_id") is not None:
        session_watch.watch(current_app._get_current_object(), request.sid, token_id=g.api_token_id)
    else:
        raise ConnectionRefusedError("unauthorized")
    join_room(CONSOLE_ROOM)
    join_room(user_room(current_user.id))
    for role in Role:
        if current_user.has_role(role):
            join_room(role_room(role.value))
    _sign_of_life()


def on_disconnect(reason: Any = None) -> None:
    """Stop watching a closed connection."""
    session_watch.forget(request.sid)


def on_heartbeat(data: Any = None) -> dict[str, Any]:
    """Record that the worker's console is still open (sent every 15 s)."""
    if not current_user.is_authenticated:
        return {"ok": False}
    _sign_of_life()
    return {"ok": True, "at": utcnow().isoformat()}


def _sign_of_life() -> None:
    """Touch the worker's presence so the grace period starts from now."""
    from hotline.routing.presence import touch

    touch(db.session, current_user.id, utcnow())


def register() -> None:
    """Register the handlers on the app's Socket.IO server."""
    socketio.on_event("connect", on_connect)
    socketio.on_event("disconnect", on_disconnect)
    socketio.on_event("console.heartbeat", on_heartbeat)
