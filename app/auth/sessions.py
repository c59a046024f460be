"""Who is signed in: writing and ending the session identity the platform reads."""

from flask import session
from flask_login import current_user, login_user, logout_user

from app.platform import identity
from app.platform.identity import SessionUser

from . import services


def sign_in(user):
    """Start a fresh session for a user; return the session identity."""
    # Renew: nothing a visitor (or an attacker who planted a cookie) put in the session survives sign-in.
    session.clear()
    signed_in = SessionUser(str(user.id), user.email)
    login_user(signed_in)
    identity.remember(signed_in.id, signed_in.email)
    return signed_in


def sign_out():
    """End the session entirely: this cookie, and any copy of it, answers as signed out from now on."""
    ending = identity.current_session() if current_user.is_authenticated else None
    if ending is not None:
        # Recorded first: should the database refuse (503), the visitor is still signed in and can try again, rather
        # than told "signed out" while a copy of the cookie would still work.
        key, expires_at = ending
        services.end_session(key, current_user.id, expires_at)
    logout_user()
    session.clear()
