"""Log-in, log-out, the profile page with API tokens, and account administration."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from hotline.access import logged_in, public, require_role
from hotline.accounts import second_factor, services, sessions, throttle
from hotline.accounts.exceptions import UsernameTaken
from hotline.accounts.forms import CodeForm, EditUserForm, LoginForm, NewUserForm, PasswordForm, TokenForm
from hotline.clock import utcnow
from hotline.extensions import db, throttle_counters
from hotline.vocabulary import Role
from hotline.web import safe_next

bp = Blueprint("accounts", __name__)


@bp.route("/login", methods=["GET", "POST"])
@public("the log-in page is how one gets an account session")
def login() -> Any:
    """Show the log-in form and log the user in; failed attempts slow down (accounts.throttle)."""
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("accounts/login.html", form=form), 422 if form.errors else 200
    secret = current_app.config["SECRET_KEY"]
    device = throttle.read_device(secret, request.cookies.get(throttle.DEVICE_COOKIE))
    attempt = throttle.Attempt(request.remote_addr or "", form.username.data, device)
    wait = throttle.wait_seconds(throttle_counters.storage, attempt)
    if wait:
        form.password.errors.append(_("Too many attempts. Try again in %(seconds)d seconds.", seconds=wait))
        response = make_response(render_template("accounts/login.html", form=form), 429)
        response.headers["Retry-After"] = str(wait)
        return response
    user = services.authenticate(db.session, form.username.data, form.password.data)
    services.record_log_in(db.session, form.username.data, user)
    if user is None:
        throttle.failed(throttle_counters.storage, attempt)
        form.password.errors.append(_("Wrong username or password."))
        return render_template("accounts/login.html", form=form), 422
    throttle.succeeded(throttle_counters.storage, attempt)
    target = safe_next(request.args.get("next"), url_for("home.index"))
    if second_factor.of(db.session, user.id) or second_factor.required(user, enforced()):
        session[PENDING] = {"user_id": user.id, "at": utcnow().timestamp(), "next": target}
        response = redirect(url_for("accounts.second_step"))
    else:
        open_session(user)
        response = redirect(target)
    response.set_cookie(
        throttle.DEVICE_COOKIE,
        throttle.device_cookie(secret, device, user.username),
        max_age=throttle.DEVICE_COOKIE_DAYS * 86400,
        httponly=True,
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        samesite="Lax",
    )
    return response


PENDING = "_second_factor_pending"
PENDING_SECONDS = 300


def enforced() -> bool:
    """Return whether supervisors and above must use a second factor."""
    return current_app.config["SECOND_FACTOR_REQUIRED"]


def pending_user() -> Any:
    """Return the user who gave their password in the last 5 minutes and owes a code, else None."""
    pending = session.get(PENDING)
    if not pending or utcnow().timestamp() - pending["at"] > PENDING_SECONDS:
        return None
    return services.get_user(db.session, pending["user_id"])


@bp.route("/login/code", methods=["GET", "POST"])
@public("the second step of logging in; the first (the password) is in the session")
def second_step() -> Any:
    """Ask for the authenticator's code (or a recovery code) and finish logging in."""
    user = pending_user()
    if user is None or not user.active:
        return redirect(url_for("accounts.login"))
    if second_factor.of(db.session, user.id) is None:
        return redirect(url_for("accounts.enrol_at_login"))
    form = CodeForm()
    if form.validate_on_submit():
        attempt = throttle.Attempt(request.remote_addr or "", user.username)
        wait = throttle.wait_seconds(throttle_counters.storage, attempt)
        if wait:
            form.code.errors.append(_("Too many attempts. Try again in %(seconds)d seconds.", seconds=wait))
            return render_template("accounts/second_step.html", form=form), 429
        if second_factor.verify(db.session, user, form.code.data, utcnow()):
            target = session.pop(PENDING)["next"]
            open_session(user)
            return redirect(target)
        throttle.failed(throttle_counters.storage, attempt)
        form.code.errors.append(_("Wrong code."))
    return render_template("accounts/second_step.html", form=form), 422 if form.errors else 200


@bp.route("/login/enrol", methods=["GET", "POST"])
@public("a supervisor who gave their password sets up the second factor it requires")
def enrol_at_login() -> Any:
    """Set up the second factor a supervisor, manager or admin needs, then log them in."""
    user = pending_user()
    if user is None or not user.active:
        return redirect(url_for("accounts.login"))
    return enrolment(user, finish=True)


@bp.route("/profile/second-factor", methods=["GET", "POST"])
@logged_in
def enrol_from_profile() -> Any:
    """Set up (or replace) the second factor from the profile page."""
    return enrolment(current_user._get_current_object(), finish=False)


def enrolment(user: Any, finish: bool) -> Any:
    """Show the QR code and secret; on a right code save the factor and show the recovery codes once."""
    secret = session.get("_second_factor_secret") or second_factor.new_secret()
    session["_second_factor_secret"] = secret
    form = CodeForm()
    if form.validate_on_submit():
        codes = second_factor.enrol(db.session, user, secret, form.code.data, utcnow())
        if codes is not None:
            session.pop("_second_factor_secret", None)
            target = url_for("accounts.profile")
            if finish:
                target = session.pop(PENDING)["next"]
                open_session(user)
            return render_template("accounts/recovery_codes.html", codes=codes, target=target)
        form.code.errors.append(_("Wrong code."))
    return render_template(
        "accounts/enrol.html", form=form, secret=secret, qr=second_factor.qr_data_uri(secret, user.username)
    ), 422 if form.errors else 200


@bp.post("/profile/second-factor/recovery-codes")
@logged_in
def renew_recovery_codes() -> Any:
    """Replace the recovery codes and show the new ones once."""
    codes = second_factor.renew_recovery_codes(db.session, current_user)
    return render_template("accounts/recovery_codes.html", codes=codes, target=url_for("accounts.profile"))


@bp.post("/profile/second-factor/remove")
@logged_in
def remove_second_factor() -> Any:
    """Turn the second factor off (workers only, where it is optional)."""
    if second_factor.required(current_user, enforced()):
        abort(403)
    second_factor.remove(db.session, current_user)
    flash(_("The second factor is off."), "info")
    return redirect(url_for("accounts.profile"))


def open_session(user: Any) -> None:
    """Start a server-side session for `user` and put its key in the session cookie."""
    session[sessions.COOKIE_KEY] = sessions.start(
        db.session, user, utcnow(), request.remote_addr, request.user_agent.string
    )
    login_user(user)


def close_session() -> None:
    """Forget the session in this browser (its record is already ended)."""
    logout_user()
    session.pop(sessions.COOKIE_KEY, None)


@bp.post("/logout")
@require_role(Role.STATION)  # station accounts too
def logout() -> Any:
    """End this session on the server and log the user out."""
    sessions.end_by_id(db.session, g.get("user_session_id"), "logout", utcnow())
    close_session()
    flash(_("You have logged out."), "info")
    return redirect(url_for("accounts.login"))


@bp.post("/profile/sessions/end")
@require_role(Role.STATION)  # station accounts too
def log_out_everywhere() -> Any:
    """End every session of the user, this one included."""
    services.end_every_session(db.session, current_user, utcnow())
    close_session()
    flash(_("You have been logged out everywhere."), "info")
    return redirect(url_for("accounts.login"))


def render_profile(token_form: TokenForm | None = None, password_form: PasswordForm | None = None, **extra: Any) -> Any:
    """Render the profile page with both forms."""
    status = 422 if (token_form and token_form.errors) or (password_form and password_form.errors) else 200
    return render_template(
        "accounts/profile.html",
        token_form=token_form or TokenForm(prefix="token"),
        password_form=password_form or PasswordForm(prefix="password"),
        tokens=services.list_tokens(db.session, current_user),
        sessions=sessions.live(db.session, current_user.id, utcnow(), sessions.lifetimes_from(current_app.config)),
        this_session_id=g.get("user_session_id"),
        second_factor_on=second_factor.of(db.session, current_user.id) is not None,
        second_factor_required=second_factor.required(current_user, enforced()),
        **extra,
    ), status


@bp.get("/profile")
@require_role(Role.STATION)  # station accounts too
def profile() -> Any:
    """Show the user's profile, certificates and API tokens."""
    return render_profile()


@bp.post("/profile/tokens")
@logged_in
def create_token() -> Any:
    """Create an API token and show it once."""
    form = TokenForm(prefix="token")
    if not form.validate_on_submit():
        return render_profile(token_form=form)
    token = services.issue_token(db.session, current_user, form.name.data)
    return render_profile(new_token=token)


@bp.post("/profile/password")
@require_role(Role.STATION)  # station accounts too
def change_password() -> Any:
    """Change the user's own password."""
    form = PasswordForm(prefix="password")
    if not form.validate_on_submit():
        return render_profile(password_form=form)
    if services.authenticate(db.session, current_user.username, form.current.data) is None:
        form.current.errors.append(_("Wrong password."))
        return render_profile(password_form=form)
    services.set_password(db.session, current_user, form.new.data)
    open_session(current_user._get_current_object())
    flash(_("Your password has been changed."), "success")
    return redirect(url_for("accounts.profile"))


@bp.post("/profile/tokens/<int:token_id>/revoke")
@logged_in
def revoke_token(token_id: int) -> Any:
    """Revoke one of the user's API tokens."""
    if not services.revoke_token(db.session, current_user, token_id):
        abort(404)
    flash(_("The token has been revoked."), "info")
    return redirect(url_for("accounts.profile"))


@bp.get("/admin/users")
@require_role(Role.ADMIN)
def users() -> Any:
    """List every account."""
    return render_template("accounts/users.html", users=services.list_users(db.session))


@bp.route("/admin/users/new", methods=["GET", "POST"])
@require_role(Role.ADMIN)
def new_user() -> Any:
    """Create an account."""
    form = NewUserForm()
    if form.validate_on_submit():
        try:
            services.create_user(
                db.session, form.username.data, form.role.data, form.password.data, form.display_name.data
            )
        except UsernameTaken:
            form.username.errors.append(_("This username is taken."))
        else:
            flash(_("The account has been created."), "success")
            return redirect(url_for("accounts.users"))
    status = 422 if form.errors else 200
    return render_template("accounts/user_form.html", form=form, user=None), status


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@require_role(Role.ADMIN)
def edit_user(user_id: int) -> Any:
    """Change an account's name, role or active flag."""
    user = services.get_user(db.session, user_id) or abort(404)
    form = EditUserForm(obj=user)
    if form.validate_on_submit():
        services.update_user(
            db.session, user, form.role.data, form.active.data, form.display_name.data, actor_id=current_user.id
        )
        flash(_("The account has been saved."), "success")
        return redirect(url_for("accounts.users"))
    status = 422 if form.errors else 200
    factor = second_factor.of(db.session, user.id)
    return render_template("accounts/user_form.html", form=form, user=user, factor=factor), status


@bp.post("/admin/users/<int:user_id>/second-factor/reset")
@require_role(Role.ADMIN)
def reset_second_factor(user_id: int) -> Any:
    """Reset an account's second factor (lost phone): they set up a new one at their next log-in (audited)."""
    user = services.get_user(db.session, user_id) or abort(404)
    if second_factor.reset(db.session, user, current_user, utcnow()):
        flash(
            _("The second factor has been reset; %(name)s sets up a new one at the next log-in.", name=user.username),
            "success",
        )
    else:
        flash(_("This account had no second factor; its sessions have been ended."), "info")
    if user.id == current_user.id:
        return redirect(url_for("accounts.login"))
    return redirect(url_for("accounts.edit_user", user_id=user.id))
