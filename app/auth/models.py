"""Documents of the auth context."""

import mongoengine as me

from app.platform.documents import VersionedDocument, utcnow


class User(VersionedDocument):
    """An account: its normalised email (unique, by index in migration 0002) and its scrypt password hash."""

    meta = {"collection": "auth_users"}
    email = me.StringField(required=True, max_length=254)
    password_hash = me.StringField(required=True)
    created_at = me.DateTimeField(required=True, default=utcnow)
