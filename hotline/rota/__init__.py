"""Shift patterns, shifts, calendar days, validation, the editor, and who is on duty."""

from flask import Flask
from flask_babel import lazy_gettext as _l

from hotline import nav
from hotline.vocabulary import Role


def init_app(app: Flask) -> None:
    """Register the rota's routes and navigation."""
    from hotline.rota import pages, pattern_pages, self_service, worker_pages  # noqa: F401  (views on the blueprint)
    from hotline.rota.routes import bp

    app.register_blueprint(bp)
    nav.register(app, "rota.mine", _l("My rota"), Role.WORKER, order=20)
    nav.register(app, "rota.editor", _l("Rota"), Role.MANAGER, order=30)
    nav.register(app, "rota.workers_page", _l("Workers"), Role.MANAGER, order=31)
