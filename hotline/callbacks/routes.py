"""The callback queue's pages, the manager's schedule, and the line's webhooks for click to dial."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from twilio.twiml.voice_response import VoiceResponse

from hotline.access import require_role
from hotline.callbacks import dialing, schedule, services
from hotline.callbacks.exceptions import BadSchedule, NoAttempt, NoNumber, TaskClosed, TaskNotFound, TaskTaken
from hotline.callbacks.forms import OUTCOME_LABELS, OutcomeForm, ScheduleForm
from hotline.clock import local, to_utc, utcnow
from hotline.extensions import db
from hotline.privacy import mask_phone
from hotline.routing.adapters import is_simulator
from hotline.telephony.line_settings import load_line_settings
from hotline.telephony.providers import TelephonyError
from hotline.telephony.security import twilio_webhook
from hotline.telephony.urls import public_url
from hotline.telephony.webhook_support import param, xml
from hotline.vocabulary import Role

bp = Blueprint("callbacks", __name__)

REFUSALS = {
    TaskClosed: _l("This callback is closed already."),
    TaskTaken: _l("Another worker is calling this caller back."),
    NoNumber: _l("There is no number to call: the caller withheld it."),
    NoAttempt: _l("Dial the caller first, then record what the call came to."),
}


def refusal(exc: Exception) -> str:
    """Return the message for a refused action."""
    return str(REFUSALS.get(type(exc), _("That could not be done.")))


def today_figures() -> services.Figures:
    """Return today's callback figures (the hotline's day)."""
    now = utcnow()
    start = to_utc(local(now).replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None))
    return services.figures(db.session, start, start + timedelta(days=1))


@bp.get("/callbacks")
@require_role(Role.WORKER)
def queue() -> Any:
    """Show the callback queue: open tasks by deadline and risk, and those closed in the last day."""
    now = utcnow()
    return render_template(
        "callbacks/queue.html",
        tasks=services.open_tasks(db.session),
        closed=services.recently_closed(db.session, now),
        figures=today_figures(),
        now=now,
        mask_phone=mask_phone,
    )


def task_page(task_id: int, number: str | None = None, form: OutcomeForm | None = None, status: int = 200) -> Any:
    """Render a task with its voicemail, the caller's earlier calls, the case, attempts and forms."""
    try:
        task = services.get_task(db.session, task_id)
    except TaskNotFound:
        abort(404)
    attempt = services.pending_attempt(task)
    form = form or OutcomeForm(data={"outcome": dialing.suggested_outcome(attempt)})
    return (
        render_template(
            "callbacks/task.html",
            task=task,
            number=number,
            masked=mask_phone(task.phone) if task.phone else None,
            may_see_number=services.may_see_number(task, current_user),
            earlier=services.earlier_calls(db.session, task),
            attempt=attempt,
            form=form,
            outcome_labels=OUTCOME_LABELS,
            max_attempts=schedule.load(db.session).max_attempts,
            dialing_suggestion=dialing.suggested_outcome(attempt),
            simulated=is_simulator(),
            now=utcnow(),
        ),
        status,
    )


@bp.get("/callbacks/<int:task_id>")
@require_role(Role.WORKER)
def task(task_id: int) -> Any:
    """Show one callback task."""
    return task_page(task_id)


@bp.post("/callbacks/<int:task_id>/take")
@require_role(Role.WORKER)
def take(task_id: int) -> Any:
    """Make me the owner of the task (由我负责)."""
    try:
        services.take(db.session, task_id, current_user, utcnow())
        flash(_("You are calling this caller back."), "success")
    except TaskNotFound:
        abort(404)
    except (TaskClosed, TaskTaken) as exc:
        flash(refusal(exc), "error")
    return redirect(url_for("callbacks.task", task_id=task_id))


@bp.post("/callbacks/<int:task_id>/number")
@require_role(Role.WORKER)
def show_number(task_id: int) -> Any:
    """Show the owner the caller's full number (written to the audit log)."""
    try:
        number = services.show_number(db.session, task_id, current_user, utcnow())
    except TaskNotFound:
        abort(404)
    except TaskTaken:
        abort(403)
    return task_page(task_id, number=number)


@bp.post("/callbacks/<int:task_id>/dial")
@require_role(Role.WORKER)
def dial(task_id: int) -> Any:
    """Ring my phone or softphone, then bridge me to the caller from the hotline's number."""
    try:
        dialing.start_dial(db.session, task_id, current_user, utcnow())
        flash(_("Your phone rings first; answer it and the caller is rung."), "success")
    except TaskNotFound:
        abort(404)
    except (TaskClosed, TaskTaken, NoNumber) as exc:
        flash(refusal(exc), "error")
    except TelephonyError:
        db.session.rollback()
        flash(_("The phone line refused the call; try again in a moment."), "error")
    return redirect(url_for("callbacks.task", task_id=task_id))


@bp.post("/callbacks/<int:task_id>/outcome")
@require_role(Role.WORKER)
def outcome(task_id: int) -> Any:
    """Record what the latest dial came to; the task closes when reached or after the last attempt."""
    form = OutcomeForm()
    if not form.validate():
        return task_page(task_id, form=form, status=400)
    try:
        task = services.record_outcome(db.session, task_id, current_user, form.outcome.data, form.note.data, utcnow())
    except TaskNotFound:
        abort(404)
    except (TaskClosed, TaskTaken, NoAttempt) as exc:
        flash(refusal(exc), "error")
        return redirect(url_for("callbacks.task", task_id=task_id))
    if task.is_open:
        flash(_("Recorded. The next attempt is due at %(time)s.", time=local(task.next_attempt_at).strftime("%H:%M")))
        return redirect(url_for("callbacks.task", task_id=task_id))
    flash(_("The callback is closed."), "success")
    return redirect(url_for("callbacks.queue"))


@bp.route("/callbacks/schedule", methods=["GET", "POST"])
@require_role(Role.MANAGER)
def schedule_page() -> Any:
    """Let a manager set the callback deadlines and the retry schedule."""
    current = schedule.load(db.session)
    form = ScheduleForm(
        data={
            "deadline_minutes": current.deadline_minutes,
            "high_risk_deadline_minutes": current.high_risk_deadline_minutes,
            "retry_minutes": ", ".join(str(minutes) for minutes in current.retry_minutes),
        }
    )
    status = 200
    if form.is_submitted():
        if form.validate():
            try:
                schedule.save(
                    db.session,
                    deadline=form.deadline_minutes.data,
                    high_risk_deadline=form.high_risk_deadline_minutes.data,
                    retries=schedule.parse_minutes_list(form.retry_minutes.data or ""),
                    actor_id=current_user.id,
                )
                flash(_("The callback schedule is saved."), "success")
                return redirect(url_for("callbacks.schedule_page"))
            except BadSchedule as exc:
                for name, message in exc.errors.items():
                    getattr(form, name).errors = [message]
        status = 400
    return render_template("callbacks/schedule.html", form=form), status


@bp.post("/twilio/callbacks/attempts/<int:attempt_id>/bridge")
@twilio_webhook
def bridge(attempt_id: int) -> Response:
    """The worker answered: ring the caller from the hotline's number."""
    try:
        attempt = dialing.attempt_for_bridge(db.session, attempt_id, param("CallSid"))
    except TaskNotFound:
        response = VoiceResponse()
        response.hangup()
        return xml(response)
    settings = load_line_settings(db.session)
    task = attempt.task
    if not task.is_open or not task.phone:
        response = VoiceResponse()
        response.say(_("This callback is closed already."), language=settings.language, voice=settings.voice)
        response.hangup()
        return xml(response)
    action = public_url(f"/twilio/callbacks/attempts/{attempt.id}/result")
    caller_id = current_app.config.get("TWILIO_NUMBER") or param("From") or None
    prompt = _("Calling the caller back now. Please hold.")
    return xml(dialing.bridge_twiml(settings, task.phone, caller_id, action, prompt))


@bp.post("/twilio/callbacks/attempts/<int:attempt_id>/result")
@twilio_webhook
def dial_result(attempt_id: int) -> Response:
    """The leg to the caller ended: record how, tell the worker's page, hang up."""
    dialing.dial_ended(db.session, attempt_id, param("DialCallStatus"), utcnow())
    response = VoiceResponse()
    response.hangup()
    return xml(response)
