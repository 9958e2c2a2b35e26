"""Edits proposed by the owning station or organisation, through a signed link without an account.

A supervisor (or the review reminder) hands the owner a link to one article; the
owner's proposal becomes a version in state `proposed`, which a supervisor
publishes or rejects. The link is the credential: it names one article and one
owner, and lapses after LINK_DAYS.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer

from hotline.access import public, require_role
from hotline.clock import utcnow
from hotline.extensions import db
from hotline.knowledge import services
from hotline.knowledge.exceptions import ArticleNotFound, LinkInvalid
from hotline.knowledge.forms import ActionForm, ArticleForm, ProposalForm
from hotline.knowledge.models import Article
from hotline.knowledge.routes import bp
from hotline.vocabulary import Role

LINK_SALT = "hotline.knowledge-proposal"
LINK_DAYS = 30
LINK_REASON = "the signed link is the credential"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=LINK_SALT)


def link_token(article: Article) -> str:
    """Return a signed token for the article's owner to propose an edit."""
    owner = (
        f"station:{article.owner_station_id}"
        if article.owner_station_id
        else f"organisation:{article.owner_organisation_id}"
        if article.owner_organisation_id
        else ""
    )
    return _serializer().dumps({"article": article.id, "owner": owner})


def proposal_path(article: Article) -> str:
    """Return the path of the proposal page for the article's owner."""
    return f"/r/knowledge/{link_token(article)}"


def read_token(token: str) -> tuple[Article, str]:
    """Return the article and the owner (kind:id, or empty) a token is for.

    Raises:
        LinkInvalid: forged, older than LINK_DAYS, or the article is gone.
    """
    try:
        payload = _serializer().loads(token, max_age=LINK_DAYS * 86400)
        article = services.get_article(db.session, int(payload["article"]))
    except (BadSignature, KeyError, TypeError, ValueError, ArticleNotFound) as exc:
        raise LinkInvalid(token) from exc
    return article, str(payload.get("owner") or "")


def _owner_name(article: Article, owner: str) -> str:
    kind, _sep, _id = owner.partition(":")
    if kind == "station" and article.owner_station:
        return article.owner_station.name
    if kind == "organisation" and article.owner_organisation:
        return article.owner_organisation.name
    return ""


def _proposal_form(**kwargs: Any) -> ProposalForm:
    return ProposalForm(areas=services.area_choices(db.session), owners=services.owner_choices(db.session), **kwargs)


@bp.post("/knowledge/manage/<int:article_id>/proposal-link")
@require_role(Role.SUPERVISOR)
def proposal_link(article_id: int) -> Any:
    """Make a link for the article's owner to propose an edit, and show it."""
    try:
        article = services.get_article(db.session, article_id)
    except ArticleNotFound:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    link = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + proposal_path(article)
    flash(_("Send this link to the owner; it works for %(days)s days: %(link)s", days=LINK_DAYS, link=link), "success")
    return redirect(url_for("knowledge.article_page", article_id=article.id))


@bp.route("/r/knowledge/<token>", methods=["GET", "POST"])
@public(LINK_REASON)
def propose(token: str) -> Any:
    """Let the owning station or organisation propose an edit of one article."""
    try:
        article, owner = read_token(token)
    except LinkInvalid:
        return render_template("knowledge/propose.html", invalid=True), 404
    form = _proposal_form(data=ArticleForm.initial(article.content())) if request.method == "GET" else _proposal_form()
    if form.validate_on_submit():
        owner_name = _owner_name(article, owner)
        services.save_draft(
            db.session,
            article,
            form.content(),
            None,
            utcnow(),
            origin=owner.partition(":")[0] or "station",
            proposer=" · ".join(filter(None, [owner_name, form.proposer_name.data.strip()]))[:200],
            note=form.note.data or "",
        )
        return render_template("knowledge/propose.html", done=True, article=article)
    status = 422 if form.errors else 200
    return render_template(
        "knowledge/propose.html", form=form, article=article, owner=_owner_name(article, owner)
    ), status
