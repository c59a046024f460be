"""Who is signed in, read from the signed session alone, so any context (or service) knows without a lookup.

The auth context writes the identity at sign-in; every other context only reads it. Processes that share SECRET_KEY
share sessions, as the original services shared their JWT secret.
"""

from flask import session
from flask_login import UserMixin

SESSION_EMAIL_KEY = "user_email"


class SessionUser(UserMixin):
    """The signed-in user as the session tells it: an id and an email."""

    def __init__(self, user_id, email):
        self.id = user_id
        self.email = email

    def to_json(self):
        """Return the user as the API shows it."""
        return {"id": self.id, "email": self.email}


def load_user(user_id):
    """Return the session's user for Flask-Login, or None when the session holds no identity."""
    email = session.get(SESSION_EMAIL_KEY)
    return SessionUser(user_id, email) if email else None


def remember(user_id, email):
    """Write the identity into the session after the caller has logged the user in."""
    session[SESSION_EMAIL_KEY] = email
