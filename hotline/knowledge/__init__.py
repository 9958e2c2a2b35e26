"""The knowledge base: policy answers searched in Chinese, at the duty worker's hand."""

from flask import Flask
from flask_babel import lazy_gettext as _l

from hotline import nav
from hotline.vocabulary import Role


def init_app(app: Flask) -> None:
    """Register this package's pages, API, navigation, template helpers and commands."""
    from hotline.knowledge import api, cli, exchange_routes, labels, panel, proposals, routes  # noqa: F401

    app.register_blueprint(routes.bp)
    app.cli.add_command(cli.knowledge_cli)
    app.jinja_env.globals.update(
        status_label=labels.status_label, flag_label=labels.flag_label, origin_label=labels.origin_label
    )
    nav.register(app, "knowledge.index", _l("Knowledge base"), Role.WORKER, 46)
