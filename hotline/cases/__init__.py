"""Intake, cases, notes and follow-ups."""

from flask import Flask
from flask_babel import lazy_gettext as _l

from hotline import nav
from hotline.vocabulary import Role


def init_app(app: Flask) -> None:
    """Register this package's routes, events and commands."""
    from hotline.cases import subject_pages, vocabulary  # noqa: F401  (subject_pages adds its routes to bp)
    from hotline.cases.cli import retention_cli
    from hotline.cases.routes import bp

    app.register_blueprint(bp)
    app.cli.add_command(retention_cli)
    app.jinja_env.globals.update(case_text=vocabulary.template_text)
    nav.register(app, "cases.case_list", _l("Cases"), Role.WORKER, order=30)
    nav.register(app, "cases.follow_up_list", _l("Follow-ups"), Role.WORKER, order=31)
