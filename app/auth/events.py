"""Events the auth context publishes."""

from dataclasses import dataclass

from app.platform.events import Event


@dataclass(frozen=True, kw_only=True)
class UserRegistered(Event):
    """A new account was created (fires once per account; never for a refused duplicate signup)."""

    type = "auth.user_registered.v1"
    email: str
