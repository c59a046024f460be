"""Flask-WTF forms of the auth pages (each carries a CSRF token)."""

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import ValidationError

from . import rules


def _check(problem, normalise):
    def validator(form, field):
        message = problem(normalise(field.data))
        if message:
            raise ValidationError(message)

    return validator


class SignupForm(FlaskForm):
    """Email and password of a new account, checked by the original service's rules."""

    email = EmailField("Email", validators=[_check(rules.email_problem, rules.normalise_email)])
    password = PasswordField("Password", validators=[_check(rules.new_password_problem, rules.clean_password)])


class SigninForm(FlaskForm):
    """Email and password of an existing account."""

    email = EmailField("Email", validators=[_check(rules.email_problem, rules.normalise_email)])
    password = PasswordField(
        "Password", validators=[_check(rules.signin_password_problem, rules.clean_password)])


class SignoutForm(FlaskForm):
    """No fields: only the CSRF token that proves the sign-out came from our own page."""
