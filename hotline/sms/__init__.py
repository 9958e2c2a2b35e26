"""Template SMS to mainland numbers: Alibaba Cloud and Tencent Cloud providers, templates, callbacks, callers' SMS."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from hotline import nav
from hotline.vocabulary import Role


def init_app(app: Flask) -> None:
    """Register the SMS pages and callbacks, and the managers' navigation entry."""
    from hotline.sms import models, routes  # noqa: F401  (mappers)

    app.register_blueprint(routes.bp)
    nav.register(app, "sms.settings_page", _l("SMS settings"), Role.MANAGER, 77)
