"""The original service's rules for credentials, shared by the JSON API, the forms and the services."""

from email_validator import EmailNotValidError, validate_email

PASSWORD_MIN = 5
PASSWORD_MAX = 20
EMAIL_INVALID = "Email must be valid"
PASSWORD_LENGTH = f"Password must be between {PASSWORD_MIN} and {PASSWORD_MAX} characters"
PASSWORD_MISSING = "You must supply a password"


def normalise_email(raw):
    """Return the email as stored and looked up: trimmed and lower-cased ("" for a non-string)."""
    return raw.strip().lower() if isinstance(raw, str) else ""


def clean_password(raw):
    """Return the password as the original service used it: trimmed ("" for a non-string)."""
    return raw.strip() if isinstance(raw, str) else ""


def email_problem(email):
    """Return why a normalised email is unacceptable, or None."""
    if not email:
        return EMAIL_INVALID
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return EMAIL_INVALID
    return None


def new_password_problem(password):
    """Return why a trimmed password is unacceptable for a new account, or None."""
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        return PASSWORD_LENGTH
    return None


def signup_problems(email, password):
    """Return {field: message} for every bad field of a signup (normalised email, trimmed password)."""
    problems = {"email": email_problem(email), "password": new_password_problem(password)}
    return {field: message for field, message in problems.items() if message}


def signin_problems(email, password):
    """Return {field: message} for every bad field of a sign-in (normalised email, trimmed password)."""
    problems = {"email": email_problem(email), "password": None if password else PASSWORD_MISSING}
    return {field: message for field, message in problems.items() if message}
