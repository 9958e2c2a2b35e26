"""Areas, stations, expert volunteers and organisations."""

from flask import Flask
from flask_babel import lazy_gettext as _l

from hotline import nav
from hotline.directory.cli import directory_cli
from hotline.vocabulary import Role


def init_app(app: Flask) -> None:
    """Register this package's pages, navigation and commands."""
    from hotline.directory import routes

    app.register_blueprint(routes.bp)
    app.cli.add_command(directory_cli)
    nav.register(app, "directory.targets", _l("Find a target"), Role.WORKER, 45)
    nav.register(app, "directory.stations", _l("Directory"), Role.MANAGER, 70)
