"""People, roles, certificates, log-in and API tokens."""

from __future__ import annotations

from typing import Any

from flask import Flask, g, session
from flask.sessions import SecureCookieSessionInterface
from flask_babel import lazy_gettext as _l

from hotline import nav
from hotline.access import bearer_token
from hotline.accounts import services, sessions
from hotline.accounts.cli import users_cli
from hotline.accounts.routes import bp
from hotline.clock import utcnow
from hotline.extensions import db, login
from hotline.vocabulary import Role


class TokenAwareSessionInterface(SecureCookieSessionInterface):
    """Never set a session cookie on a request authenticated by an API token; sign cookies with one serializer."""

    def __init__(self) -> None:
        self.serializers: dict[tuple[Any, ...], Any] = {}

    def get_signing_serializer(self, app: Flask) -> Any:
        """Return the cookie serializer for the app's keys, built once per set of keys (Flask builds one a request)."""
        key = (app.secret_key, *(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        serializer = self.serializers.get(key)
        if serializer is None:
            serializer = self.serializers[key] = super().get_signing_serializer(app)
        return serializer

    def save_session(self, app: Flask, session: Any, response: Any) -> None:
        """Save the session unless the request carried an API token."""
        if g.get("authenticated_by_token"):
            return
        super().save_session(app, session, response)


def init_app(app: Flask) -> None:
    """Register log-in handling, pages and the users CLI."""
    login.init_app(app)
    login.login_view = "accounts.login"
    login.login_message = _l("Please log in to see this page.")
    login.session_protection = "basic"

    @login.user_loader
    def load_user(identity: str):  # noqa: ANN202
        found = sessions.resume(
            db.session, identity, session.get(sessions.COOKIE_KEY), utcnow(), sessions.lifetimes_from(app.config)
        )
        if found is None:
            return None
        g.user_session_id = found[1].id
        return found[0]

    @login.request_loader
    def load_token_user(_request):  # noqa: ANN001, ANN202
        token = bearer_token()
        row = services.use_token(db.session, token) if token else None
        if row is None:
            return None
        g.authenticated_by_token = True
        g.api_token_id = row.id
        return row.user

    app.session_interface = TokenAwareSessionInterface()

    app.register_blueprint(bp)
    app.cli.add_command(users_cli)
    nav.register(app, "accounts.users", _l("Accounts"), Role.ADMIN, order=90)
