"""Rate limits on signing up and signing in, shared by the API (both spellings) and the pages.

Counters live in shared storage (Redis when REDIS_URL is set, else the database), so every worker and process
counts together. Sign-in:
- per client address, every attempt (RATELIMIT_SIGNIN): one address cannot guess at many accounts;
- per (account, client address), failed attempts only (RATELIMIT_SIGNIN): one address cannot guess one account's
  password, and an attacker elsewhere cannot lock the account's owner out;
- per account across all addresses, failed attempts only (RATELIMIT_SIGNIN_ACCOUNT, set above what one address
  can reach in the same window): a distributed guess at one account runs out.
Sign-up: per client address, every attempt (RATELIMIT_SIGNUP).
"""

import hashlib

from flask import current_app, request
from flask_limiter.util import get_remote_address
from werkzeug.exceptions import HTTPException

from app.extensions import limiter

from .rules import normalise_email


def signin_limit():
    """Return the configured sign-in limit (read per request, so tests and operators can change it)."""
    return current_app.config["RATELIMIT_SIGNIN"]


def account_ceiling():
    """Return the configured limit of failed sign-ins per account from all addresses together."""
    return current_app.config["RATELIMIT_SIGNIN_ACCOUNT"]


def signup_limit():
    """Return the configured sign-up limit per client address."""
    return current_app.config["RATELIMIT_SIGNUP"]


def attempted_email():
    """Return the normalised email a sign-in attempt names in its JSON or form body ("" when none)."""
    try:
        if request.is_json:
            body = request.get_json(silent=True)
            return normalise_email(body.get("email") if isinstance(body, dict) else None)
        return normalise_email(request.form.get("email"))
    except HTTPException:
        return ""  # a body too large to read: the view refuses it (413), and only the per-address limit counts it


def _account():
    # A digest, not the email: the counters' keys reveal no address, and any text (even a lone surrogate) makes one.
    return hashlib.sha256(attempted_email().encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _account_key():
    return f"account:{_account()}"


def _account_address_key():
    return f"account:{_account()}:from:{get_remote_address()}"


def _no_account_named():
    # An attempt without an email cannot guess a password; the per-address limit still counts it.
    return not attempted_email()


def _failed(response):
    # A refused sign-in (wrong password, malformed) counts against the account; a success and a 429 (the attempt never
    # ran) do not.
    return response.status_code >= 400 and response.status_code != 429


# Shared scopes: both API spellings and the page draw on the same budgets, so no route multiplies the attempts.
per_address = limiter.shared_limit(signin_limit, scope="auth-signin-address", key_func=get_remote_address,
                                   methods=["POST"])
per_account_and_address = limiter.shared_limit(
    signin_limit, scope="auth-signin-account-address", key_func=_account_address_key, methods=["POST"],
    exempt_when=_no_account_named, deduct_when=_failed)
per_account = limiter.shared_limit(account_ceiling, scope="auth-signin-account", key_func=_account_key,
                                   methods=["POST"], exempt_when=_no_account_named, deduct_when=_failed)
signups_per_address = limiter.shared_limit(signup_limit, scope="auth-signup-address", key_func=get_remote_address,
                                           methods=["POST"])


def limit_signin(view):
    """Apply the sign-in limits to a view."""
    return per_address(per_account_and_address(per_account(view)))


def limit_signup(view):
    """Apply the per-address sign-up limit to a view."""
    return signups_per_address(view)
