"""The rota's JSON API: who is on duty, the rota, and the editor's calls (validate, assign, draft)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Response, current_app, jsonify, request
from flask_login import current_user

from hotline.access import logged_in, require_role
from hotline.api import API_PREFIX, ApiError, parse_date, period, query_date, query_datetime
from hotline.clock import local, utcnow
from hotline.extensions import db
from hotline.rota import autodraft, board, editing
from hotline.rota.exceptions import AlreadyAssigned, CertificateProblem, NotFound, ShiftEnded
from hotline.rota.models import DRAFT, DUTY_WORKER, EXPERT, PUBLISHED, SUPERVISOR
from hotline.rota.routes import bp
from hotline.rota.services import on_duty, rota_dict, shifts_between
from hotline.rota.validation import validate
from hotline.vocabulary import Role

ROLES = (DUTY_WORKER, SUPERVISOR, EXPERT)


def date_range(default_days: int = 6) -> tuple[date, date]:
    """Read ?from= and ?to= (local dates; default this week): the days between them, at most 366."""
    today = local(utcnow()).date()
    date_from = query_date("from") or today - timedelta(days=today.weekday())
    date_to = query_date("to") or date_from + timedelta(days=default_days)
    return period(date_from, date_to, 366)


def json_body() -> dict[str, Any]:
    """Return the request's JSON object, or raise a 400."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_body", "expected a JSON object")
    return body


def body_date(body: dict[str, Any], name: str) -> date:
    """Return a YYYY-MM-DD field of the body, or raise a 400."""
    try:
        return parse_date(str(body[name]))
    except (KeyError, ValueError) as exc:
        raise ApiError(400, "invalid_parameter", f"{name} must be a date (YYYY-MM-DD)", {name: body.get(name)}) from exc


@bp.get(f"{API_PREFIX}/oncall")
@logged_in
def oncall() -> Response:
    """Return who is on duty at a moment.
    ---
    get:
      summary: Who is on duty (certified workers, supervisors, experts on duty)
      security: [{bearer: []}]
      parameters:
        - {name: at, in: query, schema: {type: string, format: date-time}, description: "default: now"}
        - {name: role, in: query, schema: {type: string, enum: [duty_worker, supervisor, expert]}}
        - {name: skill, in: query, schema: {type: string}}
      responses:
        200:
          description: "{at, workers: [{user_id, name, duty, level, skills, shift}], experts: [...]}"
        400:
          description: A parameter is not valid
          content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
    """
    at = query_datetime("at") or utcnow()
    if at.tzinfo is None:
        raise ApiError(400, "invalid_parameter", "at must carry a time zone (Z or +08:00)", {"at": request.args["at"]})
    role = request.args.get("role") or None
    if role is not None and role not in ROLES:
        raise ApiError(400, "invalid_parameter", f"role must be one of {', '.join(ROLES)}", {"role": role})
    return jsonify(on_duty(db.session, at, role=role, skill=request.args.get("skill") or None).as_dict())


@bp.get(f"{API_PREFIX}/rota")
@logged_in
def rota() -> Response:
    """Return the rota of a period.
    ---
    get:
      summary: The published rota (managers may ask for the draft)
      description: >-
        The days between from and to (default: this week), the earlier first, at most 366 days
        after the earlier; the answer's from and to say which days it covers.
      security: [{bearer: []}]
      parameters:
        - {name: from, in: query, schema: {type: string, format: date}}
        - {name: to, in: query, schema: {type: string, format: date}}
        - {name: layer, in: query, schema: {type: string, enum: [published, draft]}}
      responses:
        200:
          description: "{from, to, layer, shifts: [{id, label, date, starts_at, ends_at, status, assignments}]}"
        400:
          description: A parameter is not valid
          content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
        403:
          description: Only managers may read the draft
          content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
    """
    date_from, date_to = date_range()
    layer = request.args.get("layer", PUBLISHED)
    if layer not in (PUBLISHED, DRAFT):
        raise ApiError(400, "invalid_parameter", "layer must be published or draft", {"layer": layer})
    if layer == DRAFT and not current_user.has_role(Role.MANAGER):
        raise ApiError(403, "forbidden", "only managers may read the draft")
    shifts = shifts_between(db.session, date_from, date_to, published_only=layer == PUBLISHED)
    return jsonify(
        {"from": date_from.isoformat(), "to": date_to.isoformat(), "layer": layer, "shifts": rota_dict(shifts, layer)}
    )


@bp.get(f"{API_PREFIX}/rota/board")
@require_role(Role.MANAGER)
def editor_board() -> Response:
    """Return what the rota editor shows.
    ---
    get:
      summary: The editor's week or month (draft shifts, people, issues, staffing advice)
      security: [{bearer: []}]
      parameters:
        - {name: anchor, in: query, schema: {type: string, format: date}}
        - {name: view, in: query, schema: {type: string, enum: [week, month]}}
      responses:
        200:
          description: The board
    """
    anchor = query_date("anchor") or local(utcnow()).date()
    view = "month" if request.args.get("view") == "month" else "week"
    return jsonify(board.board(db.session, anchor, view, utcnow()))


@bp.post(f"{API_PREFIX}/rota/validate")
@require_role(Role.MANAGER)
def validate_draft() -> Response:
    """Check the draft of a period, with optional proposed changes.
    ---
    post:
      summary: Validate the draft (live validation in the editor)
      security: [{bearer: []}]
      requestBody:
        content:
          application/json:
            schema:
              type: object
              additionalProperties: false
              required: [from, to]
              properties:
                from: {type: string, format: date}
                to: {type: string, format: date, description: "the days between from and to, at most 366"}
                changes:
                  type: array
                  items:
                    oneOf:
                      - type: object
                        additionalProperties: false
                        required: [op, shift_id, duty]
                        properties:
                          op: {type: string, enum: [add]}
                          shift_id: {type: integer}
                          duty: {type: string, enum: [duty_worker, supervisor, expert]}
                          user_id: {type: integer}
                          expert_id: {type: integer}
                          skill: {type: string}
                      - type: object
                        additionalProperties: false
                        required: [op, assignment_id]
                        properties:
                          op: {type: string, enum: [remove]}
                          assignment_id: {type: integer}
        required: true
      responses:
        200:
          description: "{errors, warnings, issues: [{rule, severity, message, shift_id, user_id, expert_id}]}"
        400:
          description: The body is not valid
          content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
    """
    body = json_body()
    date_from, date_to = period(body_date(body, "from"), body_date(body, "to"), 366)
    changes = body.get("changes") or []
    if not isinstance(changes, list):
        raise ApiError(400, "invalid_parameter", "changes must be a list", {"changes": changes})
    issues = [issue.as_dict() for issue in validate(db.session, date_from, date_to, DRAFT, changes)]
    return jsonify(
        {
            "errors": sum(i["severity"] == "error" for i in issues),
            "warnings": sum(i["severity"] == "warning" for i in issues),
            "issues": issues,
        }
    )


def edit_errors(action: Any) -> Any:
    """Run an editing service, mapping its errors to the API error shape."""
    try:
        return action()
    except NotFound as exc:
        raise ApiError(404, "not_found", str(exc)) from exc
    except ShiftEnded as exc:
        raise ApiError(409, "shift_ended", "the shift is over") from exc
    except CertificateProblem as exc:
        raise ApiError(409, f"certificate_{exc.reason}", str(exc)) from exc
    except AlreadyAssigned as exc:
        raise ApiError(409, "already_assigned", f"{exc} already has a duty in this shift") from exc


@bp.post(f"{API_PREFIX}/rota/assignments")
@require_role(Role.MANAGER)
def add_assignment() -> Any:
    """Put a person on a shift in the draft.
    ---
    post:
      summary: Add a duty to the draft
      security: [{bearer: []}]
      requestBody:
        content:
          application/json:
            schema:
              type: object
              additionalProperties: false
              required: [shift_id, duty]
              properties:
                shift_id: {type: integer}
                duty: {type: string, enum: [duty_worker, supervisor, expert]}
                user_id: {type: integer, description: the worker (duty_worker, supervisor)}
                expert_id: {type: integer, description: the expert volunteer (expert)}
                skill: {type: string}
        required: true
      responses:
        201:
          description: "{id}"
        404:
          description: No such shift, worker or expert
          content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
        409:
          description: Refused (certificate expired or missing, already on the shift, shift over), with the reason
          content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
    """
    body = json_body()
    try:
        shift_id, duty = int(body["shift_id"]), str(body["duty"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ApiError(400, "invalid_body", "shift_id and duty are required") from exc
    assignment = edit_errors(
        lambda: editing.add_assignment(
            db.session, shift_id, duty, utcnow(), body.get("user_id"), body.get("expert_id"), body.get("skill")
        )
    )
    return jsonify({"id": assignment.id}), 201


@bp.patch(f"{API_PREFIX}/rota/assignments/<int:assignment_id>")
@require_role(Role.MANAGER)
def move_assignment(assignment_id: int) -> Any:
    """Move a draft duty to another shift, or change its duty.
    ---
    patch:
      summary: Move a duty in the draft
      security: [{bearer: []}]
      parameters:
        - {name: assignment_id, in: path, required: true, schema: {type: integer}}
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              additionalProperties: false
              required: [shift_id]
              properties:
                shift_id: {type: integer}
                duty: {type: string, enum: [duty_worker, supervisor, expert]}
      responses:
        200:
          description: "{id}"
        404:
          description: No such draft duty or shift
          content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
        409:
          description: Refused, with the reason
          content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
    """
    body = json_body()
    try:
        shift_id = int(body["shift_id"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ApiError(400, "invalid_body", "shift_id is required") from exc
    moved = edit_errors(
        lambda: editing.move_assignment(db.session, assignment_id, shift_id, utcnow(), body.get("duty"))
    )
    return jsonify({"id": moved.id})


@bp.delete(f"{API_PREFIX}/rota/assignments/<int:assignment_id>")
@require_role(Role.MANAGER)
def remove_assignment(assignment_id: int) -> Any:
    """Take a duty out of the draft.
    ---
    delete:
      summary: Remove a duty from the draft
      security: [{bearer: []}]
      parameters:
        - {name: assignment_id, in: path, required: true, schema: {type: integer}}
      responses:
        204:
          description: Removed
        404:
          description: No such draft duty
          content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
        409:
          description: The shift is over
          content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
    """
    edit_errors(lambda: editing.remove_assignment(db.session, assignment_id, utcnow()))
    return "", 204


@bp.post(f"{API_PREFIX}/rota/drafts")
@require_role(Role.MANAGER)
def request_draft() -> Any:
    """Ask for an automatic draft of a period; it runs off the request thread.
    ---
    post:
      summary: Fill the rota automatically (CP-SAT), asynchronously
      security: [{bearer: []}]
      requestBody:
        content:
          application/json:
            schema:
              type: object
              additionalProperties: false
              required: [from, to]
              properties:
                from: {type: string, format: date}
                to: {type: string, format: date, description: "the days between from and to, at most 62"}
        required: true
      responses:
        202:
          description: "{id, status}; poll GET /api/v1/rota/drafts/{id}"
        400:
          description: The body is not valid
          content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
    """
    body = json_body()
    date_from, date_to = period(body_date(body, "from"), body_date(body, "to"), 62)
    draft = autodraft.queue_request(db.session, date_from, date_to, current_user.id, utcnow())
    autodraft.start_in_background(current_app._get_current_object(), draft.id)  # type: ignore[attr-defined]
    return jsonify(autodraft.request_dict(draft)), 202


@bp.get(f"{API_PREFIX}/rota/drafts/<int:request_id>")
@require_role(Role.MANAGER)
def draft_status(request_id: int) -> Response:
    """Return the progress of an automatic draft.
    ---
    get:
      summary: Progress and result of an automatic draft
      security: [{bearer: []}]
      parameters:
        - {name: request_id, in: path, required: true, schema: {type: integer}}
      responses:
        200:
          description: "{id, status, progress, explanation, result}"
        404:
          description: No such request
          content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
    """
    draft = autodraft.get_request(db.session, request_id)
    if draft is None:
        raise ApiError(404, "not_found", "no such draft request")
    return jsonify(autodraft.request_dict(draft))
