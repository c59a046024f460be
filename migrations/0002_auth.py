"""Indexes of the auth context."""

CONTEXT = "auth"


def upgrade(db):
    """Create the unique index on the normalised email: the one guard against two accounts for one address."""
    db.auth_users.create_index("email", unique=True, name="unique_email")
