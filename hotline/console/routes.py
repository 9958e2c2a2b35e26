"""Console pages (stub replaced below)."""

from flask import Blueprint
from hotline.access import logged_in

bp = Blueprint("console", __name__)


@bp.get("/console")
@logged_in
def index():
    return "console"


@bp.get("/console/calls/<int:call_id>")
@logged_in
def current_call(call_id: int):
    return "call"
