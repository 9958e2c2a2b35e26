"""The duty worker's console: pages, Socket.IO events, push helpers."""

from flask import Flask
from flask_babel import lazy_gettext as _l

from hotline import nav
from hotline.vocabulary import Role


def init_app(app: Flask) -> None:
    """Register the console's pages, API, Twilio callbacks and Socket.IO events."""
    from hotline.console import api, events, twilio_routes  # noqa: F401  (their routes join the blueprint)
    from hotline.console.labels import template_helpers
    from hotline.console.routes import bp

    app.register_blueprint(bp)
    app.context_processor(template_helpers)
    events.register()
    nav.register(app, "console.index", _l("Console"), Role.WORKER, order=10)
