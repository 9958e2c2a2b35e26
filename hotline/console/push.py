"""Push helpers: the Socket.IO events the console listens to, emitted after the data is committed.

Rooms: "console" (every logged-in member of staff), "user:<id>", "role:<role>".
With REDIS_URL set the emit goes through Redis, so the scheduler or another web
process reaches browsers connected anywhere. Events are hints: the console
fetches the fresh state from the server when it gets one.
"""

from __future__ import annotations

import logging
from typing import Any

from hotline.extensions import socketio

log = logging.getLogger("hotline.console.push")
CONSOLE_ROOM = "console"


def user_room(user_id: int) -> str:
    """Return the room of one user."""
    return f"user:{user_id}"


def role_room(role: str) -> str:
    """Return the room of everyone whose role includes `role`."""
    return f"role:{role}"


def emit(event: str, payload: dict[str, Any], room: str) -> None:
    """Emit an event to a room; a failure is logged and never undoes the committed change."""
    try:
        socketio.emit(event, payload, to=room)
    except Exception:  # noqa: BLE001  (a push is best effort; the data is already committed)
        log.exception("could not emit %s to %s", event, room)


def board_changed(reason: str = "") -> None:
    """Tell every console that the call board or the on-duty list changed."""
    emit("board.changed", {"reason": reason}, CONSOLE_ROOM)


def presence_changed(user_id: int, state: str) -> None:
    """Tell every console that a worker's state changed."""
    emit("presence.updated", {"user_id": user_id, "state": state}, CONSOLE_ROOM)


def offer_made(worker_id: int, payload: dict[str, Any]) -> None:
    """Ring a worker's console with an offer."""
    emit("offer.new", payload, user_room(worker_id))


def offer_closed(worker_id: int, offer_id: int, reason: str) -> None:
    """Stop a worker's console ringing: the offer was taken, withdrawn or timed out."""
    emit("offer.closed", {"offer_id": offer_id, "reason": reason}, user_room(worker_id))


def call_assigned(worker_id: int, call_id: int, url: str) -> None:
    """Tell the winner's console to open the current call."""
    emit("call.assigned", {"call_id": call_id, "url": url}, user_room(worker_id))


def risk_alert(supervisor_ids: set[int], payload: dict[str, Any]) -> None:
    """Alert the supervisors on call (every supervisor when nobody is on call) to a high-risk call."""
    if supervisor_ids:
        for supervisor_id in sorted(supervisor_ids):
            emit("risk.alert", payload, user_room(supervisor_id))
    else:
        emit("risk.alert", payload, role_room("supervisor"))
