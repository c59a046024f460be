"""Events the auth context publishes."""

from dataclasses import dataclass

from app.platform.events import Event


@dataclass(frozen=True, kw_only=True)
class UserRegistered(Event):
    """A new account was created (fires once per account; never for a refused duplicate signup)."""

    type = "auth.user_registered.v1"
    email: str


@dataclass(frozen=True, kw_only=True)
class SessionEnded(Event):
    """A signed-in session was signed out (page or API); its cookie must answer as signed out in every context.

    `aggregate_id` is the session's key (a digest of its id, never the id itself), `version` is 0 (a session ends
    once). `expires_at` (ISO 8601, UTC) is when the session would have ended anyway: a context may forget it then.
    Never fires for a request that held no signed-in session.
    """

    type = "auth.session_ended.v1"
    user_id: str
    expires_at: str
