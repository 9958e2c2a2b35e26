"""Work orders (工单) for stations and organisations: sign for, handle in time, return, call back."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Make the labels available to templates."""
    from hotline.workorders.models import event_label, state_label

    app.jinja_env.globals["work_order_state"] = state_label
    app.jinja_env.globals["work_order_event"] = event_label
