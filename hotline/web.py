"""Cross-cutting web parts: error pages, the language switch, template helpers (health: hotline.ops)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlparse

from flask import Blueprint, Flask, current_app, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from hotline.access import is_api_request, public
from hotline.api import error_response, http_error_response
from hotline.extensions import db
from hotline.i18n import LANGUAGE_COOKIE
from hotline.privacy import mask_phone
from hotline.vocabulary import label

bp = Blueprint("web", __name__)


def safe_next(target: str | None, default: str = "/") -> str:
    """Return `target` if it is a path on this site, else `default` (no open redirects)."""
    if not target:
        return default
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


@bp.get("/favicon.ico")
@public("browsers ask for the site's icon on any page, the log-in page included")
def favicon() -> Any:
    """Send browsers that ask for /favicon.ico to the icon (an SVG)."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)


@bp.get("/lang/<code>")
@public("switching the page language needs no account")
def switch_language(code: str) -> Any:
    """Remember the chosen language in a cookie and go back."""
    response = redirect(safe_next(request.args.get("next")))
    if code in current_app.config["LANGUAGES"]:
        response.set_cookie(
            LANGUAGE_COOKIE,
            code,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            httponly=True,
            secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        )
    return response


def page_error(error: HTTPException) -> Any:
    """Render an error page for people, JSON for the API."""
    if is_api_request():
        return http_error_response(error)
    headers = {"Allow": ", ".join(error.valid_methods)} if getattr(error, "valid_methods", None) else {}
    return render_template("error.html", error=error), error.code or 500, headers


def csrf_error(error: CSRFError) -> Any:
    """Refuse a form post without a valid CSRF token."""
    if is_api_request():
        return error_response(400, "csrf_failed", error.description or "CSRF token missing or invalid")
    return render_template("error.html", error=error), 400


def server_error(error: Exception) -> Any:
    """Log an unexpected error with its stack and answer without leaking it."""
    current_app.logger.exception("unhandled error")
    db.session.rollback()
    if is_api_request():
        return error_response(500, "internal_error", "Something went wrong on our side; it has been logged.")
    return render_template("error.html", error=None), 500


def local_time(moment: datetime | None, pattern: str = "yyyy-MM-dd HH:mm") -> str:
    """Format an aware datetime in the hotline's zone."""
    if moment is None:
        return ""
    return format_datetime(moment, pattern)


CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'{connect}; media-src 'self' blob:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
TWILIO_CONNECT = " https://*.twilio.com wss://*.twilio.com"
"""The Twilio Voice SDK of the console's softphone talks to Twilio's servers."""


def content_security_policy() -> str:
    """Return the page policy: scripts and styles from our own files only, no inline code, no framing.

    The softphone may connect to Twilio on a Twilio line, to Kamailio's WebSocket on a SIP line.
    """
    telephony, connect = current_app.config.get("TELEPHONY"), ""
    if telephony == "twilio":
        connect = TWILIO_CONNECT
    elif telephony == "gateway" and current_app.config.get("GATEWAY_PHONE_WS_URL"):
        connect = f" {current_app.config['GATEWAY_PHONE_WS_URL']}"
    return CONTENT_SECURITY_POLICY.format(connect=connect)


def security_headers(response: Any) -> Any:
    """Add conservative security headers to every response."""
    response.headers.setdefault("Content-Security-Policy", content_security_policy())
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def init_app(app: Flask) -> None:
    """Register the blueprint, error handlers and template helpers."""
    app.register_blueprint(bp)
    app.register_error_handler(CSRFError, csrf_error)
    for code in (400, 401, 403, 404, 405, 409, 413, 422, 429, 502):
        app.register_error_handler(code, page_error)
    app.register_error_handler(Exception, server_error)
    app.after_request(security_headers)
    app.jinja_env.globals.update(label=label, mask_phone=mask_phone, local_time=local_time)
