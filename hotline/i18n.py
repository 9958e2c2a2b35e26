"""Languages: Simplified Chinese by default, English available, the choice remembered."""

from __future__ import annotations

from flask import Flask, current_app, has_request_context, request
from flask_babel import get_locale
from flask_login import current_user

from hotline.extensions import babel

LANGUAGE_COOKIE = "hotline_lang"


def select_locale() -> str:
    """Pick the page language: the header switch, the user's setting, the browser, else Chinese."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # scheduled jobs and services run without a request
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in languages:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    """Show times in the hotline's zone."""
    return current_app.config["HOTLINE_TZ"]


def init_app(app: Flask) -> None:
    """Bind Flask-Babel with the selectors."""
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.jinja_env.globals["get_locale"] = get_locale
