"""Who is signed in: writing and ending the session identity the platform reads."""

from flask import session
from flask_login import login_user, logout_user

from app.platform import identity
from app.platform.identity import SessionUser


def sign_in(user):
    """Start a fresh session for a user; return the session identity."""
    # Renew: nothing a visitor (or an attacker who planted a cookie) put in the session survives sign-in.
    session.clear()
    signed_in = SessionUser(str(user.id), user.email)
    login_user(signed_in)
    identity.remember(signed_in.id, signed_in.email)
    return signed_in


def sign_out():
    """End the session entirely."""
    logout_user()
    session.clear()
