"""Manager pages and settings that call the other packages' services."""

from flask import Flask
from flask_babel import lazy_gettext as _l

from hotline import nav
from hotline.vocabulary import Role


def init_app(app: Flask) -> None:
    """Register this package's routes, events and commands."""
    from hotline.manage.routes import bp

    app.register_blueprint(bp)
    nav.register(app, "manage.audit_log", _l("Audit log"), Role.MANAGER, order=80)
    nav.register(app, "manage.retention_page", _l("Data retention"), Role.MANAGER, order=81)
