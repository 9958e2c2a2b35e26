"""The simulator pages: a caller's phone in the browser, and a minimal accept page for workers.

Development and demo only: refused (404) unless SIMULATOR_ENABLED. The phone
network is the simulator gateway (`gateway.py`), which the app reaches over REST
as it would reach Twilio. The worker page is a minimal way to take a call without
the duty console; any logged-in worker may accept.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, abort, current_app, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from hotline import nav
from hotline.access import logged_in, public
from hotline.clock import utcnow
from hotline.extensions import db
from hotline.telephony import services as call_services
from hotline.telephony.exceptions import CallNotWaiting
from hotline.telephony.providers import get_provider
from hotline.telephony.simulator import labels, services
from hotline.telephony.simulator.gateway import simulator_gateway
from hotline.vocabulary import Role

bp = Blueprint("simulator", __name__, url_prefix="/simulator")
REASON = "development-only caller simulator; refused unless SIMULATOR_ENABLED"


@bp.before_request
def refuse_unless_enabled() -> None:
    """Refuse every simulator page when the simulator is off (production)."""
    if not current_app.config.get("SIMULATOR_ENABLED"):
        abort(404)


def network() -> Any:
    """Return the simulator gateway's phone network (it posts to this server)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    return simulator_gateway(app, request.host_url).network


def field(name: str) -> str:
    """Return a posted text value: from the JSON body (the pages' scripts) or the form (tests, curl)."""
    body = request.get_json(silent=True) if request.is_json else None
    value = (body if isinstance(body, dict) else request.form).get(name)
    return value if isinstance(value, str) else ""


def fail(error: Exception) -> Any:
    """Answer a simulator error as JSON 409."""
    return jsonify({"error": {"code": "conflict", "message": str(error), "fields": {}}}), 409


@bp.get("")
@public(REASON)
def caller_page() -> Any:
    """Show the caller's phone."""
    return render_template(
        "telephony/simulator.html",
        hotline_number=current_app.config.get("TWILIO_NUMBER"),
        strings=labels.page_strings(),
    )


@bp.post("/calls")
@public(REASON)
def dial() -> Any:
    """Dial the hotline from the number typed in."""
    from_number = (field("from") or "+8613800138000").strip()[:20]
    call_sid = services.dial(network(), from_number, current_app.config.get("TWILIO_NUMBER") or "+862200000000")
    return jsonify({"call_sid": call_sid}), 201


@bp.get("/calls/<call_sid>")
@public(REASON)
def call_state(call_sid: str) -> Any:
    """Return what the caller heard so far, the conversation, and the messages and calls the app sent."""
    try:
        state = services.snapshot(network(), call_sid)
    except services.SimulatorError as error:
        return fail(error)
    state["conversation"] = services.conversation(db.session, call_sid)
    state["outbound"] = services.outbound(network())
    return jsonify(state)


@bp.post("/calls/<call_sid>/press")
@public(REASON)
def press(call_sid: str) -> Any:
    """Press keys (empty: stay silent), while a prompt plays or after it."""
    try:
        services.press(network(), call_sid, (field("digits") or "")[:10])
    except services.SimulatorError as error:
        return fail(error)
    return jsonify({"ok": True})


@bp.post("/calls/<call_sid>/hangup")
@public(REASON)
def hang_up(call_sid: str) -> Any:
    """Hang up a simulated phone (the caller's, or one the app called)."""
    try:
        services.hang_up(network(), call_sid)
    except services.SimulatorError as error:
        return fail(error)
    return jsonify({"ok": True})


@bp.post("/calls/<call_sid>/say")
@public(REASON)
def caller_says(call_sid: str) -> Any:
    """The caller "talks": a line of text to the worker."""
    text = (field("text") or "").strip()
    if text:
        services.say(db.session, call_sid, "caller", text, utcnow())
    return jsonify({"ok": True})


@bp.get("/messages")
@public(REASON)
def messages() -> Any:
    """Return the latest SMS and calls the app sent, and the phones it called (a station's, an expert's)."""
    return jsonify({"outbound": services.outbound(network()), "phones": services.phones(network())})


@bp.post("/sms")
@public(REASON)
def reply_by_sms() -> Any:
    """Send an SMS to the hotline number from a phone (e.g. a station answering "1 <code>"); return the replies."""
    from_number = (field("from") or "").strip()[:20]
    body = (field("body") or "").strip()[:1600]
    if not from_number or not body:
        return jsonify({"error": {"code": "invalid", "message": "from and body are required", "fields": {}}}), 400
    to_number = current_app.config.get("TWILIO_NUMBER") or "+862200000000"
    replies = network().send_sms_to_app(from_number, to_number, body)
    return jsonify({"replies": replies})


@bp.get("/worker")
@logged_in
def worker_page() -> Any:
    """Show waiting calls with an Accept button, and the call this worker is on."""
    return render_template("telephony/simulator_worker.html")


@bp.get("/worker/state")
@logged_in
def worker_state() -> Any:
    """Return the waiting calls and this worker's current call with its conversation."""
    view = services.worker_view(db.session, current_user.id)
    view["conversation"] = services.conversation(db.session, view["current"]) if view["current"] else []
    return jsonify(view)


@bp.post("/worker/accept/<call_sid>")
@logged_in
def accept(call_sid: str) -> Any:
    """Accept a waiting call: the caller is redirected to ring this worker's browser identity."""
    call = call_services.find_call(db.session, call_sid)
    if call is None:
        return fail(LookupError(call_sid))
    try:
        services.accept(db.session, call, current_user.id, get_provider())
    except CallNotWaiting as error:
        return fail(error)
    return jsonify({"ok": True})


@bp.post("/worker/calls/<call_sid>/say")
@logged_in
def worker_says(call_sid: str) -> Any:
    """The worker "talks": a line of text to the caller."""
    text = (field("text") or "").strip()
    if text:
        services.say(db.session, call_sid, "worker", text, utcnow())
    return jsonify({"ok": True})


@bp.post("/worker/calls/<call_sid>/hangup")
@logged_in
def worker_hangs_up(call_sid: str) -> Any:
    """The worker ends the call."""
    try:
        services.end_conversation(network(), call_sid)
    except services.SimulatorError as error:
        return fail(error)
    return jsonify({"ok": True})


def register_nav(app: Flask) -> None:
    """Link the worker's stand-in page (development only)."""
    nav.register(app, "simulator.worker_page", _l("Simulator: take calls"), Role.WORKER, 90)
