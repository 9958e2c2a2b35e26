"""The knowledge panel beside the console's intake: suggestions, search, an article, "answered from", "no article".

The console's call page includes `knowledge/_panel.html`; static/js/knowledge-panel.js
fetches these fragments and posts the two records. A use or a gap is tied to a
call only when the worker may work on that call.
"""

from __future__ import annotations

from typing import Any

from flask import abort, jsonify, render_template, request
from flask_login import current_user

from hotline.access import logged_in
from hotline.clock import utcnow
from hotline.extensions import db
from hotline.knowledge import search, services
from hotline.knowledge.exceptions import ArticleNotFound
from hotline.knowledge.routes import _int, bp, today
from hotline.telephony.models import Call
from hotline.vocabulary import Service

SERVICES = {member.value for member in Service}


def _call() -> Call | None:
    """Return the call named by call_id (query or JSON) if the worker may work on it."""
    from hotline.console.services import may_see_call

    body = request.get_json(silent=True) if request.is_json else None
    call_id = _int((body or {}).get("call_id") if body else request.args.get("call_id"))
    call = db.session.get(Call, call_id) if call_id else None
    return call if call is not None and may_see_call(db.session, call, current_user) else None


def _service(value: Any, call: Call | None) -> str | None:
    """Return the service asked for, else the one the caller chose in the menu."""
    if value in SERVICES:
        return str(value)
    return call.service if call is not None and call.service in SERVICES else None


@bp.get("/knowledge/panel/results")
@logged_in
def panel_results() -> Any:
    """Render the panel's list: suggestions for the call's area and service, or the search results."""
    call = _call()
    query = (request.args.get("q") or "").strip()[: search.MAX_QUERY]
    area_id = _int(request.args.get("area_id"))
    service = _service(request.args.get("service"), call)
    hits = search.search(db.session, query, today(), area_id, None if query else service, limit=8)
    if not query and not hits and service:
        hits = search.search(db.session, "", today(), area_id, None, limit=8)
    return render_template("knowledge/_panel_results.html", hits=hits, query=query)


@bp.get("/knowledge/panel/articles/<int:article_id>")
@logged_in
def panel_article(article_id: int) -> Any:
    """Render one published article in the panel, with "answered from this article"."""
    try:
        article = services.get_article(db.session, article_id)
    except ArticleNotFound:
        abort(404)
    if article.status != "published":
        abort(404)
    terms = search.parse(request.args.get("q") or "", search.synonym_groups(db.session))
    return render_template(
        "knowledge/_panel_article.html",
        article=article,
        answer=search.highlight(article.answer, terms.terms if terms else ()),
    )


@bp.post("/knowledge/panel/uses")
@logged_in
def panel_use() -> Any:
    """Record that the worker answered the caller from an article (with the call, if theirs)."""
    body = request.get_json(silent=True) or {}
    try:
        article = services.get_article(db.session, _int(body.get("article_id")) or 0)
    except ArticleNotFound:
        abort(404)
    if article.status != "published":
        abort(404)
    call = _call()
    use = services.record_use(
        db.session, article, current_user.id, call.id if call else None, str(body.get("q") or ""), utcnow()
    )
    return jsonify({"recorded": True, "use_id": use.id, "call_id": use.call_id})


@bp.post("/knowledge/panel/gaps")
@logged_in
def panel_gap() -> Any:
    """Record a caller's question no article answers (a gap for the managers' report)."""
    body = request.get_json(silent=True) or {}
    question = str(body.get("question") or "").strip()
    if not question:
        abort(400)
    call = _call()
    gap = services.record_gap(
        db.session,
        question,
        current_user.id,
        call.id if call else None,
        _int(body.get("area_id")),
        _service(body.get("service"), call),
        utcnow(),
    )
    return jsonify({"recorded": True, "gap_id": gap.id})
