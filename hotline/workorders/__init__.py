"""Work orders (工单) for stations and organisations: sign for, handle in time, return, call back."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from hotline import nav
from hotline.vocabulary import Role


def init_app(app: Flask) -> None:
    """Register the pages, the header links and the labels templates use."""
    from hotline.workorders import routes
    from hotline.workorders.board import referral_order as order_for_referral
    from hotline.workorders.cli import workorders_cli
    from hotline.workorders.models import event_label, state_label

    app.register_blueprint(routes.bp)
    app.cli.add_command(workorders_cli)
    app.jinja_env.globals["work_order_state"] = state_label
    app.jinja_env.globals["work_order_event"] = event_label
    app.jinja_env.globals["work_order_for_referral"] = order_for_referral
    nav.register(app, "workorders.board_page", _l("Work orders"), Role.SUPERVISOR, 41)
    nav.register(app, "workorders.figures_page", _l("Work-order figures"), Role.SUPERVISOR, 62)
    nav.register(app, "workorders.limits_page", _l("Work-order time limits"), Role.MANAGER, 77)
