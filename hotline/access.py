"""Who may reach which endpoint: deny by default, roles by decorator, CSRF on every form.

Every view must declare its access with one of the decorators below; a view
without a declaration answers 403 to everybody, so a forgotten check fails
closed. `tests/test_access.py` walks the URL map and proves it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, abort, current_app, g, redirect, request, url_for
from flask_login import current_user

from hotline.extensions import csrf
from hotline.vocabulary import Role

F = TypeVar("F", bound=Callable[..., Any])
ACCESS_ATTRIBUTE = "_hotline_access"
CSRF_EXEMPT_ATTRIBUTE = "_hotline_csrf_exempt"


def require_role(role: Role | str) -> Callable[[F], F]:
    """Allow logged-in users whose role includes `role`."""
    role = Role(role)

    def decorate(view: F) -> F:
        setattr(view, ACCESS_ATTRIBUTE, ("role", role))
        return view

    return decorate


def logged_in(view: F) -> F:
    """Allow any logged-in user."""
    setattr(view, ACCESS_ATTRIBUTE, ("role", Role.WORKER))
    return view


def public(reason: str, csrf_exempt: bool = False) -> Callable[[F], F]:
    """Allow anyone; `reason` says why (Twilio signs its webhooks, a link carries a token…)."""

    def decorate(view: F) -> F:
        setattr(view, ACCESS_ATTRIBUTE, ("public", reason))
        setattr(view, CSRF_EXEMPT_ATTRIBUTE, csrf_exempt)
        return view

    return decorate


def access_of(view: Callable[..., Any] | None) -> tuple[str, Any] | None:
    """Return the declared access of a view function, or None."""
    return getattr(view, ACCESS_ATTRIBUTE, None) if view is not None else None


def is_api_request() -> bool:
    """Return whether the request is for the JSON API."""
    return request.path.startswith("/api/")


def bearer_token() -> str | None:
    """Return the bearer token sent with the request, if any."""
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return None


def carries_credentials() -> bool:
    """Return whether the request carries a cookie or an Authorization header: without either nobody is signed in."""
    environ = request.environ
    return "HTTP_COOKIE" in environ or "HTTP_AUTHORIZATION" in environ


def check_access() -> Any:
    """Refuse the request unless the endpoint's declared access allows the current user."""
    if request.endpoint is None:
        return None  # 404 or 405 follows
    if request.endpoint == "static":
        return None
    view = current_app.view_functions.get(request.endpoint)
    access = access_of(view)
    if access is None:
        current_app.logger.error("endpoint %s declares no access rule", request.endpoint)
        abort(403)
    kind, value = access
    if kind != "public":
        if not current_user.is_authenticated:
            if is_api_request():
                abort(401)
            target = request.full_path if request.query_string else request.path
            return redirect(url_for("accounts.login", next=target))
        if not current_user.has_role(value):
            abort(403)
    unsafe = request.method not in ("GET", "HEAD", "OPTIONS")
    # Only a request that a valid API token authenticated skips CSRF: a browser never adds that
    # header by itself. A cookie-authenticated write needs the token whatever other headers come.
    if unsafe and not g.get("authenticated_by_token") and not getattr(view, CSRF_EXEMPT_ATTRIBUTE, False):
        csrf.protect()
    return None


def init_app(app: Flask) -> None:
    """Install the access check before every request."""
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    app.before_request(check_access)
