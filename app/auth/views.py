"""The auth pages: sign up, sign in, sign out (thin: validate the form, call one service, redirect)."""

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.platform.errors import ValidationError

from . import services
from .errors import EmailInUseError, InvalidCredentialsError
from .forms import SigninForm, SignoutForm, SignupForm
from .limits import limit_signin, limit_signup
from .sessions import sign_in, sign_out

bp = Blueprint("auth", __name__, url_prefix="/auth", template_folder="templates")

HOME = "/"


def safe_next_path(value):
    """Return `value` if it is a path on this site, else None (never an open redirect)."""
    if not isinstance(value, str) or not value.startswith("/") or len(value) > 2000:
        return None
    # Browsers read "\" as "/" and drop tabs and newlines, so "/\evil.com" or "/\t/evil.com" would leave the site.
    if "\\" in value or any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return None
    if value.startswith("//"):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return None
    return value


def _next_path():
    return safe_next_path(request.args.get("next"))


@bp.route("/signup", methods=["GET", "POST"])
@limit_signup
def signup():
    """Show the sign-up form; create the account and sign it in."""
    form = SignupForm()
    if form.validate_on_submit():
        try:
            user = services.register_user(form.email.data, form.password.data)
        except EmailInUseError as exc:
            form.email.errors.append(exc.message)
        except ValidationError as exc:
            _attach(form, exc)
        else:
            sign_in(user)
            flash(f"Welcome! You are signed in as {user.email}.", "success")
            return redirect(_next_path() or HOME)
    return _render("auth/signup.html", form)


@bp.route("/signin", methods=["GET", "POST"])
@limit_signin
def signin():
    """Show the sign-in form; sign in and return to the page that asked for it."""
    form = SigninForm()
    form_error = None
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data)
        except InvalidCredentialsError as exc:
            form_error = exc.message
        except ValidationError as exc:
            _attach(form, exc)
        else:
            sign_in(user)
            flash(f"Signed in as {user.email}.", "success")
            return redirect(_next_path() or HOME)
    return _render("auth/signin.html", form, form_error=form_error)


@bp.post("/signout")
def signout():
    """End the session (a CSRF-protected POST) and go home."""
    form = SignoutForm()
    if form.validate_on_submit():
        sign_out()
        flash("You are signed out.", "success")
    return redirect(HOME)


def _attach(form, exc):
    for field, message in exc.errors.items():
        getattr(form, field).errors.append(message)


def _render(template, form, form_error=None):
    # The password is never sent back: PasswordField renders empty, and only the email keeps what was typed.
    invalid = request.method == "POST"
    status = 400 if invalid else 200
    return render_template(template, form=form, form_error=form_error, next_path=_next_path(),
                           signed_in=current_user.is_authenticated,
                           signin_url=url_for("auth.signin", next=_next_path()),
                           signup_url=url_for("auth.signup", next=_next_path())), status
