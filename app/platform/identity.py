"""Who is signed in, read from the signed session cookie, so any context (or service) knows without asking auth.

The auth context writes the identity at sign-in; every other context only reads it. Processes that share SECRET_KEY
share sessions, as the original services shared their JWT secret. Two things end a session before its cookie does:
- its age: a session lasts SESSION_LIFETIME_SECONDS from sign-in, however often it is used;
- signing out: the session's id (a digest of it) is recorded in `platform_ended_sessions`, in auth's database at
  once and in every other context's database through the `auth.session_ended.v1` event; every request checks it.
"""

import hashlib
import logging
import secrets
import time
from datetime import UTC, datetime, timedelta

from flask import current_app, g, session
from flask_login import UserMixin
from pymongo.errors import PyMongoError

from . import uow
from .errors import DatabaseUnavailableError

log = logging.getLogger(__name__)
SESSION_EMAIL_KEY = "user_email"
SESSION_ID_KEY = "sid"
SIGNED_IN_AT_KEY = "signed_in_at"
ENDED_SESSIONS = "platform_ended_sessions"
CLOCK_SKEW_SECONDS = 60


class SessionUser(UserMixin):
    """The signed-in user as the session tells it: an id and an email."""

    def __init__(self, user_id, email):
        self.id = user_id
        self.email = email

    def to_json(self):
        """Return the user as the API shows it."""
        return {"id": self.id, "email": self.email}


def load_user(user_id):
    """Return the session's user for Flask-Login, or None when the session is absent, too old or signed out."""
    if g.get("_identity_loading"):
        return None  # asked again while checking (a log line about the check names the user): not known yet
    g._identity_loading = True
    try:
        return _load(user_id)
    finally:
        g.pop("_identity_loading", None)


def _load(user_id):
    email = session.get(SESSION_EMAIL_KEY)
    session_id = session.get(SESSION_ID_KEY)
    signed_in_at = session.get(SIGNED_IN_AT_KEY)
    if not email or not isinstance(session_id, str) or not isinstance(signed_in_at, int):
        return None  # no identity, or a cookie from before sessions had ids: signed out
    age = time.time() - signed_in_at
    if not -CLOCK_SKEW_SECONDS <= age < current_app.config["SESSION_LIFETIME_SECONDS"]:
        return None
    if _has_ended(session_key(session_id)):
        return None
    return SessionUser(user_id, email)


def new_session_values(email):
    """Return the session entries that make a new signed-in session: the email, a fresh id and the sign-in time."""
    return {SESSION_EMAIL_KEY: email, SESSION_ID_KEY: secrets.token_urlsafe(24), SIGNED_IN_AT_KEY: int(time.time())}


def remember(user_id, email):
    """Write the identity into the session after the caller has logged the user in."""
    session.update(new_session_values(email))
    # The cookie itself expires with the session (PERMANENT_SESSION_LIFETIME is SESSION_LIFETIME_SECONDS).
    session.permanent = True


def current_session():
    """Return (key, expires_at) of the session in this request, or None when it holds no signed-in session."""
    session_id = session.get(SESSION_ID_KEY)
    signed_in_at = session.get(SIGNED_IN_AT_KEY)
    if not isinstance(session_id, str) or not isinstance(signed_in_at, int):
        return None
    lifetime = current_app.config["SESSION_LIFETIME_SECONDS"]
    return session_key(session_id), datetime.fromtimestamp(signed_in_at + lifetime, UTC)


def session_key(session_id):
    """Return the digest a session is known by once it ended (the id itself never leaves the cookie)."""
    return hashlib.sha256(session_id.encode()).hexdigest()


def record_ended_session(key, user_id, expires_at):
    """Record in the current unit of work that a session ended, until it would have expired anyway (idempotent)."""
    work = uow.current()
    expires_at = datetime.fromisoformat(expires_at) if isinstance(expires_at, str) else expires_at
    expires_at = expires_at.astimezone(UTC) if expires_at.tzinfo else expires_at.replace(tzinfo=UTC)
    # The TTL index of migration 0007 forgets the record once the session could not be used anyway.
    work.db[ENDED_SESSIONS].update_one(
        {"_id": key},
        {"$setOnInsert": {"user_id": user_id, "ended_at": datetime.now(UTC),
                          "expires_at": expires_at + timedelta(seconds=CLOCK_SKEW_SECONDS)}},
        upsert=True, session=work.session)


def _has_ended(key):
    if g.get("database_failed"):
        return True  # this request already found the database down: do not wait for it a second time
    # Flask-Login loads the user on first use, which may be inside a unit of work (a log line naming the user, say):
    # then read through its session, as one more read of the transaction, never beside it on another connection.
    work = uow.current() if uow.in_unit_of_work() else None
    try:
        ended = current_app.extensions["mongo"].db[ENDED_SESSIONS].find_one(
            {"_id": key}, {"_id": 1}, session=work.session if work is not None else None)
        return ended is not None
    except PyMongoError:
        # Not knowing whether a session was signed out must not let it in. The request answers 503 (the database is
        # down, not the visitor's session); its error page then renders for a signed-out visitor.
        g.database_failed = True
        log.warning("could not check whether a session was signed out", exc_info=True)
        raise DatabaseUnavailableError() from None
