"""Refusals of the auth context."""

from app.platform.errors import DomainError


class EmailInUseError(DomainError):
    """An account with this (normalised) email exists already."""

    message = "Email in use"

    def __init__(self, message=None, field="email"):
        super().__init__(message, field)


class InvalidCredentialsError(DomainError):
    """The email is unknown or the password is wrong; deliberately the same answer for both."""

    message = "Invalid credentials"
