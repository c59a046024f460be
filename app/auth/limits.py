"""Rate limits on sign-in attempts: per client address and per account, shared by the API and the page."""

from flask import current_app, request
from flask_limiter.util import get_remote_address

from app.extensions import limiter

from .rules import normalise_email


def signin_limit():
    """Return the configured sign-in limit (read per request, so tests and operators can change it)."""
    return current_app.config["RATELIMIT_SIGNIN"]


def attempted_email():
    """Return the normalised email a sign-in attempt names in its JSON or form body ("" when none)."""
    if request.is_json:
        body = request.get_json(silent=True)
        return normalise_email(body.get("email") if isinstance(body, dict) else None)
    return normalise_email(request.form.get("email"))


def _account_key():
    return f"account:{attempted_email()}"


def _no_account_named():
    # An attempt without an email cannot guess a password; the per-address limit still counts it.
    return not attempted_email()


# Shared scopes: both API spellings and the page draw on the same two budgets, so no route multiplies the attempts.
per_address = limiter.shared_limit(signin_limit, scope="auth-signin-address", key_func=get_remote_address,
                                   methods=["POST"])
per_account = limiter.shared_limit(signin_limit, scope="auth-signin-account", key_func=_account_key,
                                   methods=["POST"], exempt_when=_no_account_named)


def limit_signin(view):
    """Apply the per-address and per-account sign-in limits to a view."""
    return per_address(per_account(view))
