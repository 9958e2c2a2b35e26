"""The console's JSON endpoints: the softphone token, intake drafts, risk alerts, the simulator's text channel."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from hotline import push
from hotline.access import logged_in
from hotline.api import API_PREFIX, ApiError
from hotline.clock import utcnow
from hotline.console import intake, line, services, sip_phone, softphone
from hotline.console.exceptions import LineRefused, NotYourCall, SipPhoneUnavailable, SoftphoneUnavailable
from hotline.console.routes import bp
from hotline.extensions import db
from hotline.routing import adapters
from hotline.telephony.models import Call
from hotline.telephony.providers import TelephonyError


def _not_stored(body: dict[str, Any]) -> Any:
    """Answer credentials as JSON that no cache keeps."""
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response


def _api_call(call_id: int) -> Call:
    try:
        return services.load_call(db.session, call_id, current_user)
    except NotYourCall as exc:
        raise ApiError(404, "not_found", _("No such call.")) from exc


@bp.get(f"{API_PREFIX}/console/softphone/token")
@logged_in
def softphone_token() -> Any:
    """Issue a softphone access token.
    ---
    get:
      summary: What the console's softphone needs on this line
      description: >-
        On a Twilio line an access token for the Twilio Voice JS SDK (identity worker_<id>, incoming
        calls allowed); on a SIP line (gateway) the worker's SIP credentials, as `/console/sip-phone`
        issues them, and Kamailio's WebSocket address (`ws_url`) for JsSIP; nothing in the simulator.
      responses:
        200:
          description: >-
            {mode: twilio, token, identity}; {mode: sip, ws_url, identity, aor, registrar, username,
            password, ttl, expires_at}; or {mode: simulator}
        503:
          description: The softphone is not configured
          content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
    """
    if adapters.is_simulator():
        return jsonify({"mode": "simulator"})
    if current_app.config.get("TELEPHONY") == "gateway":
        try:
            issued = sip_phone.browser_credentials(current_app.config, current_user.id, utcnow())
        except SipPhoneUnavailable as exc:
            raise ApiError(
                503, "softphone_unavailable", _("The browser softphone is not set up on this line.")
            ) from exc
        return _not_stored(issued)
    try:
        token = softphone.access_token(current_app.config, current_user.id)
    except SoftphoneUnavailable as exc:
        raise ApiError(503, "softphone_unavailable", str(exc)) from exc
    return jsonify({"mode": "twilio", "token": token, "identity": softphone.identity(current_user.id)})


@bp.get(f"{API_PREFIX}/console/sip-phone")
@logged_in
def sip_phone_credentials() -> Any:
    """Issue my SIP phone's registration credentials.
    ---
    get:
      summary: Credentials for my SIP desk phone or softphone at the line's registrar (Kamailio)
      description: >-
        The gateway rings the phone registered as `identity` when a call is put through to me.
        The credentials expire (`expires_at`); fetch new ones before then. Never typed by hand.
      responses:
        200:
          description: My phone's credentials
          content:
            application/json:
              schema:
                type: object
                required: [identity, aor, registrar, username, password, ttl, expires_at]
                properties:
                  identity: {type: string}
                  aor: {type: string}
                  registrar: {type: string}
                  username: {type: string}
                  password: {type: string}
                  ttl: {type: integer}
                  expires_at: {type: string, format: date-time}
        404:
          description: "sip_phone_unavailable: workers' SIP phones are not configured on this line"
          content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
    """
    try:
        issued = sip_phone.credentials(current_app.config, current_user.id, utcnow())
    except SipPhoneUnavailable as exc:
        raise ApiError(404, "sip_phone_unavailable", _("SIP phones are not set up on this line.")) from exc
    return _not_stored(issued)


@bp.put(f"{API_PREFIX}/console/calls/<int:call_id>/draft")
@logged_in
def save_draft(call_id: int) -> Any:
    """Save the intake draft.
    ---
    put:
      summary: Keep what I have typed in the intake so far
      parameters:
        - {name: call_id, in: path, required: true, schema: {type: integer}}
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              additionalProperties: false
              description: The intake form's fields as typed so far
              properties:
                call_type: {type: string}
                caller_name: {type: string}
                caller_phone: {type: string}
                consent_callback: {type: boolean}
                consent_share: {type: boolean}
                consent_sms: {type: boolean}
                gender: {type: string}
                age_group: {type: string}
                area_id: {type: string}
                target_groups: {type: array, items: {type: string}}
                services: {type: array, items: {type: string}}
                risk: {type: string}
                crisis_checklist: {type: array, items: {type: string}}
                summary: {type: string}
                actions_taken: {type: string}
                outcome: {type: string}
      responses:
        200: {description: Saved}
        400: {description: Not a JSON object of the intake's fields}
        404: {description: No such call of mine}
    """
    call = _api_call(call_id)
    values = request.get_json(silent=True)
    if not isinstance(values, dict):
        raise ApiError(400, "invalid_body", _("Send the draft as a JSON object."))
    now = utcnow()
    intake.save_draft(db.session, call, current_user.id, values, now)
    return jsonify({"saved_at": now.isoformat()})


@bp.post(f"{API_PREFIX}/console/calls/<int:call_id>/risk-alert")
@logged_in
def risk_alert(call_id: int) -> Any:
    """Alert the supervisor on call.
    ---
    post:
      summary: Alert the supervisor on call that the caller is at high or imminent risk
      parameters:
        - {name: call_id, in: path, required: true, schema: {type: integer}}
      requestBody:
        content:
          application/json:
            schema:
              type: object
              additionalProperties: false
              properties: {risk: {type: string, enum: [none, low, medium, high, imminent]}}
      responses:
        200: {description: "{alerted: true} when the alert went out; false when it already had or the risk is lower"}
        404: {description: No such call of mine}
    """
    call = _api_call(call_id)
    risk = str((request.get_json(silent=True) or {}).get("risk", ""))
    alerted = services.raise_risk_alert(db.session, call, current_user, risk, utcnow())
    return jsonify({"alerted": alerted})


@bp.get(f"{API_PREFIX}/console/calls/<int:call_id>/chat")
@logged_in
def chat_lines(call_id: int) -> Any:
    """Read the simulator's text channel.
    ---
    get:
      summary: The lines exchanged with the simulated caller (simulator mode)
      parameters:
        - {name: call_id, in: path, required: true, schema: {type: integer}}
      responses:
        200: {description: "{lines: [{sender, body}]}"}
        404: {description: No such call of mine}
    """
    call = _api_call(call_id)
    lines = adapters.simulator_chat(db.session, call)
    return jsonify({"lines": [{"sender": line.get("sender"), "body": line.get("text")} for line in lines]})


@bp.post(f"{API_PREFIX}/console/calls/<int:call_id>/chat")
@logged_in
def chat_say(call_id: int) -> Any:
    """Write to the simulated caller.
    ---
    post:
      summary: Send a line to the simulated caller (simulator mode)
      parameters:
        - {name: call_id, in: path, required: true, schema: {type: integer}}
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              additionalProperties: false
              required: [body]
              properties: {body: {type: string, minLength: 1, maxLength: 1000, x-not-blank: true}}
      responses:
        200: {description: Sent}
        400: {description: Empty line}
        404: {description: No such call of mine}
        409: {description: The line is not the simulator's (no text channel)}
    """
    call = _api_call(call_id)
    body = str((request.get_json(silent=True) or {}).get("body", "")).strip()
    if not body:
        raise ApiError(400, "invalid_body", _("Write something first."))
    if not adapters.is_simulator():
        raise ApiError(409, "not_simulator", _("Only the simulator has a text channel."))
    adapters.send_simulator_chat(db.session, call, "worker", body[:1000], utcnow())
    push.chat_line(call.id)
    return jsonify({"sent": True})


def _line_switch(call_id: int, name: str, change: Any) -> Any:
    """Run a hold or mute change for the current user's call and answer its new state."""
    call = _api_call(call_id)
    value = (request.get_json(silent=True) or {}).get(name)
    if not isinstance(value, bool):
        raise ApiError(400, "invalid_body", _("Send true or false."))
    try:
        state = change(db.session, call, current_user.id, value, utcnow(), adapters.get_provider())
    except LineRefused as exc:
        raise ApiError(409, "not_on_call", _("You are not on this call.")) from exc
    except TelephonyError as exc:
        db.session.rollback()
        raise ApiError(502, "phone_network", _("The phone network did not answer. Try again in a moment.")) from exc
    return jsonify({name: state})


@bp.post(f"{API_PREFIX}/console/calls/<int:call_id>/hold")
@logged_in
def hold(call_id: int) -> Any:
    """Put the caller on hold or take them off.
    ---
    post:
      summary: Put the caller on hold (they hear hold music and not the worker) or take them off hold
      parameters:
        - {name: call_id, in: path, required: true, schema: {type: integer}}
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              additionalProperties: false
              required: [hold]
              properties: {hold: {type: boolean}}
      responses:
        200: {description: "{hold: true|false}: the state asked of the line"}
        400: {description: Not a boolean}
        404: {description: No such call of mine}
        409: {description: I am not on this call now}
        502: {description: The phone network did not answer}
    """
    return _line_switch(call_id, "hold", line.set_hold)


@bp.post(f"{API_PREFIX}/console/calls/<int:call_id>/mute")
@logged_in
def mute(call_id: int) -> Any:
    """Mute or unmute my leg of the call.
    ---
    post:
      summary: Mute my leg in the call's conference (the caller no longer hears me) or unmute it
      parameters:
        - {name: call_id, in: path, required: true, schema: {type: integer}}
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              additionalProperties: false
              required: [muted]
              properties: {muted: {type: boolean}}
      responses:
        200: {description: "{muted: true|false}: the state asked of the line"}
        400: {description: Not a boolean}
        404: {description: No such call of mine}
        409: {description: I am not on this call now}
        502: {description: The phone network did not answer}
    """
    return _line_switch(call_id, "muted", line.set_mute)
