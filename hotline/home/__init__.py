"""Landing pages per role."""

from flask import Flask
from flask_babel import lazy_gettext as _l

from hotline import nav
from hotline.home.routes import bp
from hotline.vocabulary import Role


def init_app(app: Flask) -> None:
    """Register the landing page."""
    app.register_blueprint(bp)
    nav.register(app, "home.index", _l("Home"), Role.WORKER, order=0)
