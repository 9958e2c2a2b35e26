"""Figures and exports."""

from flask import Flask
from flask_babel import lazy_gettext as _l

from hotline import nav
from hotline.vocabulary import Role


def init_app(app: Flask) -> None:
    """Register this package's routes, events and commands."""
    from hotline.reports.routes import bp

    app.register_blueprint(bp)
    nav.register(app, "reports.report", _l("Reports"), Role.SUPERVISOR, order=60)
