"""The original service's rules for credentials, shared by the JSON API, the forms and the services."""

from email_validator import EmailNotValidError, validate_email

PASSWORD_MIN = 5
PASSWORD_MAX = 20
EMAIL_INVALID = "Email must be valid"
PASSWORD_LENGTH = f"Password must be between {PASSWORD_MIN} and {PASSWORD_MAX} characters"
PASSWORD_MISSING = "You must supply a password"
PASSWORD_INVALID_TEXT = "Password must be valid text"


def is_valid_text(text):
    """Return whether text can be stored and hashed: no lone UTF-16 surrogate (JSON can spell one, "\\ud800")."""
    return text.isascii() or not any("\ud800" <= c <= "\udfff" for c in text)


def normalise_email(raw):
    """Return the email as stored and looked up: trimmed and lower-cased ("" for a non-string)."""
    return raw.strip().lower() if isinstance(raw, str) else ""


def clean_password(raw):
    """Return the password as the original service used it: trimmed ("" for a non-string)."""
    return raw.strip() if isinstance(raw, str) else ""


def email_problem(email):
    """Return why a normalised email is unacceptable, or None."""
    if not email or not is_valid_text(email):
        return EMAIL_INVALID
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return EMAIL_INVALID
    return None


def new_password_problem(password):
    """Return why a trimmed password is unacceptable for a new account, or None."""
    if not is_valid_text(password):
        return PASSWORD_INVALID_TEXT
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        return PASSWORD_LENGTH
    return None


def signin_password_problem(password):
    """Return why a trimmed password cannot even be checked at sign-in, or None."""
    if not password:
        return PASSWORD_MISSING
    return None if is_valid_text(password) else PASSWORD_INVALID_TEXT


def signup_problems(email, password):
    """Return {field: message} for every bad field of a signup (normalised email, trimmed password)."""
    problems = {"email": email_problem(email), "password": new_password_problem(password)}
    return {field: message for field, message in problems.items() if message}


def signin_problems(email, password):
    """Return {field: message} for every bad field of a sign-in (normalised email, trimmed password)."""
    problems = {"email": email_problem(email), "password": signin_password_problem(password)}
    return {field: message for field, message in problems.items() if message}
