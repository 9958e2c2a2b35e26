"""The one Socket.IO emitter: every live event and every room is named here.

Rooms: "console" (every logged-in member of staff), "user:<id>", "role:<role>"
(joined in `console/events.py`). Packages of every layer call the functions
below after their data is committed; none emits or names a room itself. With
REDIS_URL set the emit goes through Redis, so the scheduler or another web
process reaches browsers connected anywhere. Events are hints: the console
fetches the fresh state from the server when it gets one, so a failed emit is
logged and never undoes the committed change.
"""

from __future__ import annotations

import logging
from typing import Any

from hotline.extensions import socketio

log = logging.getLogger("hotline.push")
CONSOLE_ROOM = "console"


def user_room(user_id: int) -> str:
    """Return the room of one user."""
    return f"user:{user_id}"


def role_room(role: str) -> str:
    """Return the room of everyone whose role includes `role`."""
    return f"role:{role}"


def _emit(event: str, payload: Any, room: str) -> None:
    """Emit an event to a room; a failure is logged and never raised."""
    try:
        socketio.emit(event, payload, to=room)
    except Exception:  # noqa: BLE001  (a push is best effort; the data is already committed)
        log.exception("could not emit %s to %s", event, room)


def board_changed(reason: str = "") -> None:
    """Tell every console that the call board or the on-duty list changed."""
    _emit("board.changed", {"reason": reason}, CONSOLE_ROOM)


def presence_changed(user_id: int, state: str) -> None:
    """Tell every console that a worker's state changed."""
    _emit("presence.updated", {"user_id": user_id, "state": state}, CONSOLE_ROOM)


def offer_made(worker_id: int, payload: dict[str, Any]) -> None:
    """Ring a worker's console with an offer."""
    _emit("offer.new", payload, user_room(worker_id))


def offer_closed(worker_id: int, offer_id: int, reason: str) -> None:
    """Stop a worker's console ringing: the offer was taken, withdrawn or timed out."""
    _emit("offer.closed", {"offer_id": offer_id, "reason": reason}, user_room(worker_id))


def call_assigned(worker_id: int, call_id: int, url: str) -> None:
    """Tell the winner's console to open the current call."""
    _emit("call.assigned", {"call_id": call_id, "url": url}, user_room(worker_id))


def call_updated(payload: dict[str, Any]) -> None:
    """Tell every console that a call changed (the payload carries the masked number only)."""
    _emit("call.updated", payload, CONSOLE_ROOM)


def transfer_failed(worker_id: int, call_id: int) -> None:
    """Tell the worker who started a transfer that nobody took it."""
    _emit("transfer.failed", {"call_id": call_id}, user_room(worker_id))


def call_line(call_id: int) -> None:
    """Tell every console that a call's line changed: a leg joined or left, hold or mute."""
    _emit("call.line", {"call_id": call_id}, CONSOLE_ROOM)


def chat_line(call_id: int) -> None:
    """Tell every console that a simulated call's chat has a new line."""
    _emit("chat.line", {"call_id": call_id}, CONSOLE_ROOM)


def risk_alert(supervisor_ids: set[int], payload: dict[str, Any]) -> None:
    """Alert the supervisors on call (every supervisor when nobody is on call) to a high-risk call."""
    if supervisor_ids:
        for supervisor_id in sorted(supervisor_ids):
            _emit("risk.alert", payload, user_room(supervisor_id))
    else:
        _emit("risk.alert", payload, role_room("supervisor"))


def follow_up_due(assignee_id: int, payload: dict[str, Any]) -> None:
    """Tell a follow-up's assignee that it fell due."""
    _emit("followup.due", payload, user_room(assignee_id))


def referral_updated(payload: dict[str, Any]) -> None:
    """Tell every console that a referral or its escalation changed (masked data only)."""
    _emit("referral.updated", payload, CONSOLE_ROOM)


def rota_notice(user_id: int, payload: dict[str, Any]) -> None:
    """Show a rota notice on its person's console."""
    _emit("rota.notice", payload, user_room(user_id))


def rota_changed(payload: dict[str, Any]) -> None:
    """Tell every console that a shift started or ended, so on-duty lists stay live."""
    _emit("rota.changed", payload, CONSOLE_ROOM)


def callbacks_changed(reason: str = "") -> None:
    """Tell every console that the callback queue changed (a task opened, taken, tried or closed)."""
    _emit("callbacks.changed", {"reason": reason}, CONSOLE_ROOM)


def callback_dialled(worker_id: int, task_id: int, dial_status: str) -> None:
    """Tell the worker who dialled a callback how the leg to the caller ended."""
    _emit("callback.dialled", {"task_id": task_id, "dial_status": dial_status}, user_room(worker_id))


def wallboard_alert(supervisor_ids: set[int], payload: dict[str, Any]) -> None:
    """Alert the supervisors on call (every supervisor when nobody is on call) to a crossed wallboard threshold."""
    if supervisor_ids:
        for supervisor_id in sorted(supervisor_ids):
            _emit("wallboard.alert", payload, user_room(supervisor_id))
    else:
        _emit("wallboard.alert", payload, role_room("supervisor"))


def directory_test_changed(target: str) -> None:
    """Tell managers' directory pages that a test SMS or test call to an entry ("stations:4") has news."""
    _emit("directory.test_changed", {"target": target}, role_room("manager"))
