"""Errors shared by every context; each maps to an HTTP status and the JSON error shape."""


class DomainError(Exception):
    """A refusal a client can understand: a message, an HTTP status and, optionally, the field at fault."""

    status_code = 400
    message = "Bad request"

    def __init__(self, message=None, field=None):
        super().__init__(message or self.message)
        self.message = message or self.message
        self.field = field

    def to_errors(self):
        """Return the error as items of the `errors` list."""
        item = {"message": self.message}
        if self.field:
            item["field"] = self.field
        return [item]


class ValidationError(DomainError):
    """One or more fields are invalid; carries one message per field."""

    def __init__(self, errors):
        self.errors = errors  # {field: message}
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))

    def to_errors(self):
        """Return one item per bad field."""
        return [{"message": message, "field": field} for field, message in self.errors.items()]


class NotFoundError(DomainError):
    status_code = 404
    message = "Not found"


class NotAuthorizedError(DomainError):
    status_code = 401
    message = "Not authorized"


class StaleWriteError(DomainError):
    """A write was based on a version that is no longer current (optimistic concurrency)."""

    status_code = 409
    message = "This record was changed by someone else; reload and try again"


class ServiceUnavailableError(DomainError):
    status_code = 503
    message = "Service temporarily unavailable; try again shortly"


class DatabaseBusyError(ServiceUnavailableError):
    """Transactions kept conflicting until the deadline passed."""

    message = "The database is busy; try again shortly"


class DatabaseUnavailableError(ServiceUnavailableError):
    message = "The database is unavailable; try again shortly"


class NoUnitOfWorkError(RuntimeError):
    """A write or an event was attempted outside a unit of work."""


class EventNotReadyError(Exception):
    """An event arrived before its predecessor; it must be retried later, never applied early."""
