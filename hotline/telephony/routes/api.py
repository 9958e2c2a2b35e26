"""The calls API: one call with its timeline, and lists filtered by status and time."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from flask import Blueprint, Response, jsonify, request
from flask_login import current_user

from hotline.access import logged_in
from hotline.api import API_PREFIX, ApiError, parse_date, query_datetime
from hotline.clock import hotline_zone
from hotline.extensions import db
from hotline.privacy import mask_phone
from hotline.telephony import queries
from hotline.telephony.models import Call
from hotline.vocabulary import Role

bp = Blueprint("telephony_api", __name__)
LIST_LIMIT = 500


def iso(value: datetime | None) -> str | None:
    """Return an ISO 8601 UTC string, or None."""
    return value.isoformat() if value else None


def call_json(call: Call, *, with_events: bool) -> dict[str, Any]:
    """Return a call as JSON; the caller's full number only for supervisors and above."""
    body: dict[str, Any] = {
        "call_sid": call.call_sid,
        "direction": call.direction,
        "status": call.status,
        "outcome": call.outcome,
        "service": call.service,
        "priority": call.priority,
        "caller": mask_phone(call.from_number),
        "caller_city": call.caller_city,
        "closed_reason": call.closed_reason,
        "created_at": iso(call.created_at),
        "queued_at": iso(call.queued_at),
        "answered_at": iso(call.answered_at),
        "ended_at": iso(call.ended_at),
        "wait_seconds": call.wait_seconds,
        "duration_seconds": call.duration_seconds,
        "worker_id": call.worker_id,
        "voicemail": {"url": call.recording_url, "seconds": call.recording_seconds} if call.recording_sid else None,
    }
    if current_user.has_role(Role.SUPERVISOR):
        body["caller_number"] = call.from_number
    if with_events:
        body["events"] = [
            {"kind": event.kind, "at": iso(event.at), "data": _event_data(event.data)} for event in call.events
        ]
    return body


def _event_data(data: dict[str, Any]) -> dict[str, Any]:
    """Mask numbers in an event's data for roles below supervisor."""
    if current_user.has_role(Role.SUPERVISOR) or not data.get("number"):
        return data
    return {**data, "number": mask_phone(data["number"])}


def bound(name: str, end_of_day: bool) -> datetime | None:
    """Parse a from/to bound: an ISO date-time, or a date meaning its start (or its end) in the hotline's zone."""
    raw = request.args.get(name)
    if raw and len(raw) == 10:
        try:
            day = parse_date(raw)
        except ValueError as exc:
            raise ApiError(400, "invalid_parameter", f"{name} must be a date or date-time", {name: raw}) from exc
        return datetime.combine(day, time.max if end_of_day else time.min, tzinfo=hotline_zone())
    value = query_datetime(name)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=hotline_zone())
    return value


def reader_id() -> int | None:
    """Return whose calls the current user may read: None for a supervisor (every call), else their own id.

    Raises:
        ApiError: 403 need_to_know for managers and admins, who read figures (reports), not calls.
    """
    if current_user.role == Role.SUPERVISOR.value:
        return None
    if current_user.role != Role.WORKER.value:
        raise ApiError(403, "need_to_know", "Managers and admins read figures (reports), not calls.")
    return current_user.id


@bp.get(f"{API_PREFIX}/calls")
@logged_in
def list_calls() -> Response:
    """List calls, newest first.
    ---
    get:
      summary: Calls, filtered by status and arrival time
      security: [{bearer: []}]
      parameters:
        - {name: status, in: query, schema: {type: string}, description: "queued, ringing, in-progress, completed…"}
        - name: from
          in: query
          description: "arrived at or after (a date: its start in the hotline's zone; or an RFC 3339 date-time)"
          schema: {anyOf: [{type: string, format: date}, {type: string, format: date-time}]}
        - name: to
          in: query
          description: "arrived at or before (a date: its end in the hotline's zone; or an RFC 3339 date-time)"
          schema: {anyOf: [{type: string, format: date}, {type: string, format: date-time}]}
      responses:
        200:
          description: >-
            {calls: [...]} without timelines, caller numbers masked below supervisor: every call for a
            supervisor; for a worker the calls they answered, the one ringing for them and the one they are on
        400:
          description: A malformed parameter
          content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
        401:
          description: Not authenticated
          content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
        403:
          description: need_to_know (managers and admins read figures, not calls)
          content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
    """
    reader = reader_id()
    calls = queries.list_calls(
        db.session,
        status=request.args.get("status") or None,
        start=bound("from", end_of_day=False),
        end=bound("to", end_of_day=True),
        limit=LIST_LIMIT,
        reader_id=reader,
    )
    return jsonify({"calls": [call_json(call, with_events=False) for call in calls]})


@bp.get(f"{API_PREFIX}/calls/<call_sid>")
@logged_in
def get_call(call_sid: str) -> Response:
    """Return one call with its timeline.
    ---
    get:
      summary: A call record with its events
      security: [{bearer: []}]
      parameters:
        - {name: call_sid, in: path, required: true, schema: {type: string}, description: Twilio's CallSid}
      responses:
        200:
          description: The call (status, outcome, service, priority, times, wait_seconds, events)
        401:
          description: Not authenticated
          content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
        403:
          description: >-
            need_to_know: a worker reads only the calls they answered, the one ringing for them and the
            one they are on; managers and admins read figures, not calls
          content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
        404:
          description: No such call
          content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
    """
    reader = reader_id()
    call = queries.call_by_sid(db.session, call_sid)
    if call is None:
        raise ApiError(404, "not_found", "no call with this CallSid", {"call_sid": call_sid})
    if reader is not None and not queries.may_read_call(db.session, call, reader):
        raise ApiError(403, "need_to_know", "You did not answer this call and it is not ringing for you.")
    return jsonify(call_json(call, with_events=True))
