"""Knowledge pages: search and read (everyone on duty); write, publish, verify, synonyms, review (staff)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from hotline.access import logged_in, require_role
from hotline.clock import local, utcnow
from hotline.extensions import db
from hotline.knowledge import review, search, services
from hotline.knowledge.exceptions import ArticleNotFound, NotADraft
from hotline.knowledge.forms import ActionForm, ArticleForm, ReviewForm, SynonymsForm, UploadForm
from hotline.knowledge.models import Article
from hotline.vocabulary import Role, Service, choices

bp = Blueprint("knowledge", __name__)


def today() -> Any:
    """Return the hotline's local date."""
    return local(utcnow()).date()


def _article(article_id: int) -> Article:
    try:
        return services.get_article(db.session, article_id)
    except ArticleNotFound:
        abort(404)


def _form(**kwargs: Any) -> ArticleForm:
    return ArticleForm(areas=services.area_choices(db.session), owners=services.owner_choices(db.session), **kwargs)


def _int(value: Any) -> int | None:
    return int(value) if str(value or "").isdigit() else None


@bp.get("/knowledge")
@logged_in
def index() -> Any:
    """Search the published articles valid today (by words, area and service)."""
    query = (request.args.get("q") or "").strip()
    area_id = _int(request.args.get("area"))
    service = request.args.get("service") or None
    if service not in {member.value for member in Service}:
        service = None
    hits = (
        search.search(db.session, query, today(), area_id, service, limit=30) if (query or area_id or service) else []
    )
    return render_template(
        "knowledge/index.html",
        query=query,
        area_id=area_id,
        service=service,
        hits=hits,
        areas=services.area_choices(db.session),
        service_choices=choices(Service),
    )


@bp.get("/knowledge/articles/<int:article_id>")
@logged_in
def article_page(article_id: int) -> Any:
    """Read an article: its answer, source, validity and verification; staff who may also see its versions."""
    article = _article(article_id)
    staff = current_user.has_role(Role.SUPERVISOR)
    if article.status != "published" and not staff:
        abort(404)
    return render_template(
        "knowledge/article.html",
        article=article,
        staff=staff,
        action=ActionForm(),
        flags=review.flags(article, today(), services.verify_months(db.session)),
        open_version=services.open_version(article),
        uses=services.use_counts(db.session, [article.id]).get(article.id, 0),
    )


@bp.get("/knowledge/manage")
@require_role(Role.SUPERVISOR)
def manage() -> Any:
    """List every article with its state and flags, the drafts and proposals waiting, import and export."""
    articles = services.list_articles(db.session, request.args.get("status") or None)
    months = services.verify_months(db.session)
    return render_template(
        "knowledge/manage.html",
        articles=articles,
        flags={article.id: review.flags(article, today(), months) for article in articles},
        pending=services.pending_versions(db.session),
        counts=services.use_counts(db.session, [article.id for article in articles]),
        upload=UploadForm(),
        status=request.args.get("status") or "",
    )


@bp.route("/knowledge/manage/new", methods=["GET", "POST"])
@require_role(Role.SUPERVISOR)
def new() -> Any:
    """Write a new article (a draft until published); ?question= starts it from a recorded gap."""
    asked = (request.args.get("question") or "")[:300]
    form = _form(data={"question": asked}) if request.method == "GET" and asked else _form()
    if form.validate_on_submit():
        article = services.create_article(db.session, form.content(), current_user.id, utcnow())
        flash(_("Saved as a draft. Publish it to make it searchable."), "success")
        return redirect(url_for("knowledge.article_page", article_id=article.id))
    return render_template("knowledge/edit.html", form=form, article=None), 422 if form.errors else 200


@bp.route("/knowledge/manage/<int:article_id>/edit", methods=["GET", "POST"])
@require_role(Role.SUPERVISOR)
def edit(article_id: int) -> Any:
    """Edit an article: the change is a draft version until published; the published text stays meanwhile."""
    article = _article(article_id)
    pending = services.open_version(article)
    source = pending.content if pending is not None and pending.state == "draft" else article.content()
    form = _form(data=ArticleForm.initial(source)) if request.method == "GET" else _form()
    if form.validate_on_submit():
        services.save_draft(db.session, article, form.content(), current_user.id, utcnow(), note=form.note.data or "")
        flash(_("Saved as a draft. Publish it to make it searchable."), "success")
        return redirect(url_for("knowledge.article_page", article_id=article.id))
    return render_template("knowledge/edit.html", form=form, article=article), 422 if form.errors else 200


@bp.get("/knowledge/manage/<int:article_id>/versions/<int:number>")
@require_role(Role.SUPERVISOR)
def version_page(article_id: int, number: int) -> Any:
    """Show one version beside the published text."""
    article = _article(article_id)
    try:
        version = services.get_version(db.session, article, number)
    except ArticleNotFound:
        abort(404)
    shown = services.version_view(db.session, version)
    return render_template("knowledge/version.html", article=article, version=version, action=ActionForm(), shown=shown)


def _decide(article_id: int, number: int, decision: str) -> Any:
    """Publish or reject a draft or proposed version."""
    article = _article(article_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        version = services.get_version(db.session, article, number)
        if decision == "publish":
            services.publish(db.session, article, version, current_user.id, utcnow())
            flash(_("Published: version %(number)s is what search finds now.", number=number), "success")
        else:
            services.reject(db.session, version, current_user.id, utcnow(), form.note.data or "")
            flash(_("Rejected; the article keeps its text."), "success")
    except ArticleNotFound:
        abort(404)
    except NotADraft:
        flash(_("This version was already decided."), "error")
    return redirect(url_for("knowledge.article_page", article_id=article.id))


@bp.post("/knowledge/manage/<int:article_id>/versions/<int:number>/publish")
@require_role(Role.SUPERVISOR)
def publish(article_id: int, number: int) -> Any:
    """Publish a draft or proposed version: search finds its text from now on."""
    return _decide(article_id, number, "publish")


@bp.post("/knowledge/manage/<int:article_id>/versions/<int:number>/reject")
@require_role(Role.SUPERVISOR)
def reject(article_id: int, number: int) -> Any:
    """Reject a draft or proposed version, with a note."""
    return _decide(article_id, number, "reject")


@bp.post("/knowledge/manage/<int:article_id>/verify")
@require_role(Role.SUPERVISOR)
def verify(article_id: int) -> Any:
    """Record that the article was checked against its source today."""
    article = _article(article_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    services.verify(db.session, article, current_user.id, utcnow())
    flash(_("Recorded: verified today."), "success")
    return redirect(url_for("knowledge.article_page", article_id=article.id))


@bp.post("/knowledge/manage/<int:article_id>/withdraw")
@require_role(Role.SUPERVISOR)
def withdraw(article_id: int) -> Any:
    """Withdraw the article from search (its versions stay)."""
    article = _article(article_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    services.withdraw(db.session, article, current_user.id, utcnow())
    flash(_("Withdrawn: search no longer finds it."), "success")
    return redirect(url_for("knowledge.article_page", article_id=article.id))


@bp.route("/knowledge/synonyms", methods=["GET", "POST"])
@require_role(Role.MANAGER)
def synonyms() -> Any:
    """Edit the synonym groups search expands terms with."""
    form = SynonymsForm()
    if request.method == "GET":
        form.groups.data = "\n".join(" = ".join(group.terms) for group in services.list_synonyms(db.session))
    if form.validate_on_submit():
        groups = services.parse_synonyms(form.groups.data)
        services.save_synonyms(db.session, groups, current_user.id, utcnow())
        flash(_("Saved %(count)s synonym groups.", count=len(groups)), "success")
        return redirect(url_for("knowledge.synonyms"))
    review_form = ReviewForm(verify_months=services.verify_months(db.session))
    return render_template("knowledge/synonyms.html", form=form, review_form=review_form), 422 if form.errors else 200


@bp.post("/knowledge/review-period")
@require_role(Role.MANAGER)
def review_period() -> Any:
    """Set how many months an article may go unverified before it is flagged and its owner reminded."""
    form = ReviewForm()
    if form.validate_on_submit():
        services.save_verify_months(db.session, form.verify_months.data, current_user.id)
        flash(_("Saved."), "success")
        return redirect(url_for("knowledge.synonyms"))
    synonyms_form = SynonymsForm()
    synonyms_form.groups.data = "\n".join(" = ".join(group.terms) for group in services.list_synonyms(db.session))
    return render_template("knowledge/synonyms.html", form=synonyms_form, review_form=form), 422


@bp.get("/knowledge/report")
@require_role(Role.MANAGER)
def report_page() -> Any:
    """List the articles used on calls, the questions no article answered, and the articles due for review."""
    from datetime import date, timedelta

    from hotline.knowledge.reports import report

    end = today()
    try:
        start = date.fromisoformat(request.args.get("from") or "") if request.args.get("from") else end - timedelta(29)
        end = date.fromisoformat(request.args.get("to") or "") if request.args.get("to") else end
    except ValueError:
        abort(400)
    months = services.verify_months(db.session)
    figures = report(db.session, start, end, today(), months)
    return render_template("knowledge/report.html", figures=figures, start=start, end=end, months=months)
