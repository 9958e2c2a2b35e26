"""The supervisor's wallboard: the queue, today's figures against targets, workers' states, joining live calls."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from hotline import nav
from hotline.vocabulary import Role


def init_app(app: Flask) -> None:
    """Register the pages, the navigation and the template helpers."""
    from hotline.wallboard import routes
    from hotline.wallboard.labels import alert_label, wall_state_label

    app.register_blueprint(routes.bp)
    app.jinja_env.globals.update(wall_state_label=wall_state_label, alert_label=alert_label)
    nav.register(app, "wallboard.page", _l("Wallboard"), Role.SUPERVISOR, 38)
    nav.register(app, "wallboard.thresholds_page", _l("Wallboard thresholds"), Role.MANAGER, 78)
