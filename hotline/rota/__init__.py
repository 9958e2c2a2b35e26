"""Shift patterns, shifts, calendar days, validation, the editor, and who is on duty."""

from datetime import datetime
from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l

from hotline import nav, signals
from hotline.vocabulary import Role


def count_duty_workers(sender: object, session: Any, at: datetime) -> int:
    """Answer the line's question: how many duty workers are on a published shift at `at`."""
    from hotline.rota.services import duty_workers_at

    return duty_workers_at(session, at)


def init_app(app: Flask) -> None:
    """Register the rota's routes and navigation."""
    from hotline.rota.routes import api, bp, manage, mine, patterns, workers  # noqa: F401  (views on bp)

    app.register_blueprint(bp)
    signals.on_duty_count.connect(count_duty_workers, weak=False)
    nav.register(app, "rota.mine", _l("My rota"), Role.WORKER, order=20)
    nav.register(app, "rota.editor", _l("Rota"), Role.MANAGER, order=30)
    nav.register(app, "rota.workers_page", _l("Workers"), Role.MANAGER, order=31)
