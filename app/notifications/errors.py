"""Refusals and failures of the notifications context."""

from app.platform.errors import NotFoundError


class RecipientUnknownError(Exception):
    """No address is known (yet) for the account an email is for: sending it counts as a failed attempt."""


class MailboxMessageNotFoundError(NotFoundError):
    message = "Message not found"
