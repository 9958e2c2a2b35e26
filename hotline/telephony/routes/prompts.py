"""Recorded prompts: their audio at a signed public URL (Twilio, the gateway), and the manager's listen and delete.

The public URL carries an expiring signature (no log-in: Twilio and the gateway
fetch it); a forged or expired one gets 403, a replaced or deleted recording 404.
Uploads go with the settings page's form (`manage.save_settings`).
"""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, Response, abort, current_app, flash, redirect, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from hotline.access import public, require_role
from hotline.clock import utcnow
from hotline.extensions import db
from hotline.telephony import prompts
from hotline.telephony.line_settings import PROMPT_NAMES
from hotline.telephony.models import PromptRecording
from hotline.vocabulary import Role

bp = Blueprint("telephony_prompts", __name__)


def audio_response(recording: PromptRecording, max_age: int | None) -> Response:
    """Send a recording's WAV (byte ranges answered, for players that seek)."""
    return send_file(
        io.BytesIO(recording.content),
        mimetype="audio/wav",
        conditional=True,
        etag=recording.version,
        download_name=f"{recording.name}.wav",
        max_age=max_age,
    )


@bp.get("/media/prompts/<name>/<version>.wav")
@public("Twilio and the gateway fetch recorded prompts; the URL carries an expiring HMAC signature")
def prompt_audio(name: str, version: str) -> Any:
    """Serve a recorded prompt to whoever holds a valid signed URL."""
    now = utcnow()
    valid = prompts.signature_is_valid(
        current_app.config["SECRET_KEY"],
        name,
        version,
        request.args.get("expires", ""),
        request.args.get("signature", ""),
        now,
    )
    if not valid:
        abort(403)
    recording = prompts.find(db.session, name, version)
    if recording is None:
        abort(404)
    remaining = int(request.args["expires"]) - int(now.timestamp())
    return audio_response(recording, max_age=max(1, min(remaining, prompts.URL_WINDOW_SECONDS)))


@bp.get("/manage/telephony/prompts/<name>/audio")
@require_role(Role.MANAGER)
def listen(name: str) -> Any:
    """Let a manager hear a recorded prompt."""
    recording = prompts.find(db.session, name) if name in PROMPT_NAMES else None
    if recording is None:
        abort(404)
    return audio_response(recording, max_age=None)


@bp.post("/manage/telephony/prompts/<name>/delete")
@require_role(Role.MANAGER)
def delete(name: str) -> Any:
    """Delete a recorded prompt: callers hear its text spoken again."""
    if name in PROMPT_NAMES and prompts.delete(db.session, name, current_user.id, utcnow()):
        flash(_("Recording deleted: callers hear the prompt's text spoken again."), "success")
    else:
        flash(_("That prompt has no recording."), "warning")
    return redirect(url_for("telephony_manage.settings_page") + f"#prompt-{name}")
