"""Sign-in (password, then second factor), sign-out and the user's own profile."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from ..core import audit
from ..core.models import ApiToken, User, UserSession
from ..core.queries import get_or_404
from ..extensions import db, limiter
from . import feed, services
from .forms import ChangePasswordForm, ConfirmForm, LoginForm, TokenForm, TotpSetupForm, VerifyForm

bp = Blueprint("auth", __name__)
PENDING_SECONDS = 300  # time allowed between the password step and the second-factor step


def safe_next(target: str | None) -> str:
    """Only a path inside this application is followed after sign-in."""
    if target:
        parts = urlsplit(target)
        if (not parts.scheme and not parts.netloc and target.startswith("/")
                and not target.startswith("//") and "\\" not in target):
            return target
    return url_for("main.dashboard")


def _account_key() -> str:
    return "account:" + (request.form.get("email") or "").strip().lower()


def _failed(response: Response) -> bool:
    return response.status_code == 200  # a failed attempt re-renders the form; success redirects


def _login_limits() -> str:
    return str(current_app.config["LOGIN_LIMIT_PER_ACCOUNT"])


def _address_limits() -> str:
    return str(current_app.config["LOGIN_LIMIT_PER_ADDRESS"])


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limits, key_func=_account_key, methods=["POST"], deduct_when=_failed)
@limiter.limit(_address_limits, methods=["POST"], deduct_when=_failed)
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data or "", form.password.data or "")
        if user is None:
            form.password.errors.append(_("The e-mail address or password is wrong."))
            audit.record("sign_in_failed", object_type="user_account", note=(form.email.data or "")[:254])
            db.session.commit()
        elif user.totp_enabled_at is not None:
            services.fresh_session()
            session["pending_uid"] = user.id
            session["pending_at"] = int(time.time())
            db.session.commit()
            return redirect(url_for("auth.verify", next=request.args.get("next")))
        else:
            services.start_session(user)
            db.session.commit()
            return redirect(safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


def _account_pending() -> User | None:
    uid, started = session.get("pending_uid"), session.get("pending_at", 0)
    if not uid or time.time() - started > PENDING_SECONDS:
        return None
    user = db.session.get(User, uid)
    return user if user is not None and user.active else None


def _pending_key() -> str:
    return f"verify:{session.get('pending_uid')}"


@bp.route("/login/verify", methods=["GET", "POST"])
@limiter.limit(_login_limits, key_func=_pending_key, methods=["POST"], deduct_when=_failed)
def verify() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    user = _account_pending()
    if user is None:
        session.clear()
        flash(_("Your sign-in took too long. Sign in again."), "error")
        return redirect(url_for("auth.login"))
    form = VerifyForm()
    if form.validate_on_submit():
        if services.verify_second_factor(user, form.code.data or ""):
            services.start_session(user)
            db.session.commit()
            return redirect(safe_next(request.args.get("next")))
        form.code.errors.append(_("The code is wrong or already used. Check the time on your phone."))
        db.session.commit()
    return render_template("auth/verify.html", form=form)


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    audit.record("sign_out", current_user._get_current_object(), actor=current_user)
    services.end_session()
    db.session.commit()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


def _profile_page(**forms: object) -> str:
    from ..agreements.reminders import weekly_digest

    user = current_user._get_current_object()
    tokens = db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                .order_by(ApiToken.created_at.desc())).all()
    sessions = db.session.scalars(select(UserSession).where(UserSession.user_id == user.id)
                                  .order_by(UserSession.last_seen_at.desc())).all()
    context = {"password_form": ChangePasswordForm(user_email=user.email), "token_form": TokenForm(),
               "confirm_form": ConfirmForm()}
    context.update(forms)
    feed_url = deadlines_url = None
    if user.feed_token:  # one token serves both: the personal meetings feed and the deadlines-only feed
        feed_url = url_for("meetings.personal_feed", token=user.feed_token, _external=True)
        deadlines_url = url_for("agreements.deadlines_ics", token=user.feed_token, _external=True)
    return render_template("auth/profile.html", user=user, tokens=tokens, sessions=sessions,
                           mfa_required=services.mfa_required(user), feed_url=feed_url,
                           deadlines_url=deadlines_url, weekly_digest=weekly_digest(user), **context)


@bp.get("/profile")
def profile() -> ResponseReturnValue:
    return _profile_page()


@bp.post("/profile/password")
def change_password() -> ResponseReturnValue:
    user = current_user._get_current_object()
    form = ChangePasswordForm(user_email=user.email)
    if form.validate_on_submit():
        if services.authenticate(user.email, form.current.data or "") is None:
            form.current.errors.append(_("The current password is wrong."))
        else:
            services.set_password(user, form.new.data or "")
            services.start_session(user)  # every other session ends; this one continues fresh
            db.session.commit()
            flash(_("Your password was changed. Your other sessions were ended."), "success")
            return redirect(url_for("auth.profile"))
    return _profile_page(password_form=form), 400


@bp.route("/profile/totp", methods=["GET", "POST"])
def totp_setup() -> ResponseReturnValue:
    user = current_user._get_current_object()
    form = TotpSetupForm()
    secret = session.get("totp_pending") or services.new_totp_secret()
    session["totp_pending"] = secret
    if form.validate_on_submit():
        codes = services.enable_totp(user, secret, form.code.data or "")
        if codes is None:
            form.code.errors.append(_("The code does not match. Check the time on your phone and try again."))
        else:
            session.pop("totp_pending", None)
            db.session.commit()
            flash(_("Two-step verification is on."), "success")
            return render_template("auth/recovery_codes.html", codes=codes)
    return render_template("auth/totp_setup.html", form=form, secret=secret,
                           qr=services.totp_qr_data_uri(user, secret), user=user,
                           required=services.mfa_required(user))


@bp.post("/profile/totp/disable")
def totp_disable() -> ResponseReturnValue:
    user = current_user._get_current_object()
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if services.mfa_required(user):
        flash(_("Your role requires two-step verification; it cannot be turned off."), "error")
    else:
        services.disable_totp(user)
        db.session.commit()
        flash(_("Two-step verification is off."), "info")
    return redirect(url_for("auth.profile"))


@bp.post("/profile/recovery-codes")
def recovery_codes() -> ResponseReturnValue:
    user = current_user._get_current_object()
    if user.totp_enabled_at is None:
        return redirect(url_for("auth.totp_setup"))
    codes = services.regenerate_recovery_codes(user)
    db.session.commit()
    return render_template("auth/recovery_codes.html", codes=codes)


@bp.post("/profile/tokens")
def token_create() -> ResponseReturnValue:
    form = TokenForm()
    if not form.validate_on_submit():
        return _profile_page(token_form=form), 400
    token, plain = services.create_api_token(current_user._get_current_object(), form.name.data or "")
    db.session.commit()
    return render_template("auth/token_created.html", token=token, plain=plain)


@bp.post("/profile/tokens/<int:token_id>/revoke")
def token_revoke(token_id: int) -> ResponseReturnValue:
    token = get_or_404(ApiToken, token_id)
    if token.user_id != current_user.id:
        abort(404)
    services.revoke_api_token(token)
    db.session.commit()
    flash(_("The token was revoked."), "info")
    return redirect(url_for("auth.profile"))


@bp.post("/profile/feed-token")
def feed_token() -> ResponseReturnValue:
    user = current_user._get_current_object()
    action = request.form.get("action", "")
    if action == "settings":
        feed.set_feed_includes_deadlines(user, request.form.get("include_deadlines") == "1")
        message = _("Your agreement deadlines are included in your calendar feed.") if user.feed_includes_deadlines \
            else _("Your calendar feed shows meetings only.")
    elif action == "revoke":
        feed.revoke_feed_token(user)
        message = _("Your calendar feed address was turned off. Calendars subscribed to it no longer update.")
    elif action in {"create", "rotate"}:
        had = user.feed_token is not None
        feed.new_feed_token(user)
        message = _("Your calendar feed has a new address; the old address no longer works.") if had else \
            _("Your calendar feed address was created.")
    else:
        abort(400)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("auth.profile", _anchor="feed"))


@bp.post("/profile/reminders")
def reminder_settings() -> ResponseReturnValue:
    from ..agreements.reminders import set_weekly_digest

    on = request.form.get("weekly_digest") == "1"
    set_weekly_digest(current_user._get_current_object(), on)
    db.session.commit()
    flash(_("You get one summary of agreement deadlines a week.") if on else
          _("You get a reminder before each agreement deadline."), "success")
    return redirect(url_for("auth.profile", _anchor="reminders"))


@bp.post("/profile/sessions/end")
def end_other_sessions() -> ResponseReturnValue:
    count = services.end_all_sessions(current_user._get_current_object(), keep_current=True)
    db.session.commit()
    flash(_("Other sessions ended: %(n)d.", n=count), "info")
    return redirect(url_for("auth.profile"))
