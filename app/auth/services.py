"""Use cases of the auth context: register an account, check credentials."""

import functools

from pymongo.errors import DuplicateKeyError
from werkzeug.security import check_password_hash, generate_password_hash

from app.platform import identity
from app.platform.errors import ValidationError
from app.platform.events import emit
from app.platform.uow import current, transactional

from . import rules
from .errors import EmailInUseError, InvalidCredentialsError
from .events import SessionEnded, UserRegistered
from .models import User


def hash_password(password):
    """Return the memory-hard (scrypt) hash of a password."""
    return generate_password_hash(password, method="scrypt")


def register_user(email, password):
    """Create an account from raw credentials and emit UserRegistered; return the user."""
    email = rules.normalise_email(email)
    password = rules.clean_password(password)
    problems = rules.signup_problems(email, password)
    if problems:
        raise ValidationError(problems)
    # Hash before the transaction opens: scrypt is slow on purpose, and a transaction may be re-run on a conflict.
    return _create_user(email, hash_password(password))


@transactional
def _create_user(email, password_hash):
    user = User(email=email, password_hash=password_hash)
    try:
        current().insert(user)
    except DuplicateKeyError:
        # The unique index on the normalised email is the only guard that holds under concurrent signups.
        raise EmailInUseError() from None
    emit(UserRegistered(aggregate_id=str(user.id), version=user.version, email=user.email))
    return user


def authenticate(email, password):
    """Return the user whose credentials these are, or raise InvalidCredentialsError (ValidationError if malformed)."""
    email = rules.normalise_email(email)
    password = rules.clean_password(password)
    problems = rules.signin_problems(email, password)
    if problems:
        raise ValidationError(problems)
    user = User.objects(email=email).first()
    if user is None:
        # Spend the same time as for a wrong password, so response time does not reveal which emails exist.
        check_password_hash(_dummy_hash(), password)
        raise InvalidCredentialsError()
    if not check_password_hash(user.password_hash, password):
        raise InvalidCredentialsError()
    return user


@functools.cache
def _dummy_hash():
    return hash_password("not-a-real-password")


@transactional
def end_session(session_key, user_id, expires_at):
    """Record that a signed-in session ended, here at once and, through SessionEnded, in every other context."""
    identity.record_ended_session(session_key, user_id, expires_at)
    emit(SessionEnded(aggregate_id=session_key, version=0, user_id=user_id or "",
                      expires_at=expires_at.isoformat(timespec="seconds")))
