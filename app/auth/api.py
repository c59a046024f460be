"""The JSON API of the original service, in both spellings its clients use (Flask routes are case-sensitive).

CSRF-exempt because every state change demands an application/json body (see the README); errors come in the
platform's shape.
"""

from flask import Blueprint, jsonify, request
from flask_login import current_user
from werkzeug.exceptions import UnsupportedMediaType

from app.platform.http import json_body

from . import services
from .limits import limit_signin, limit_signup
from .sessions import sign_in, sign_out

bp = Blueprint("auth_api", __name__, url_prefix="/api/users")


def _route(rule, spellings, **options):
    def decorator(view):
        for path in (rule, *spellings):
            bp.add_url_rule(path, view_func=view, **options)
        return view

    return decorator


@_route("/signup", ["/signUp"], methods=["POST"])
@limit_signup
def signup():
    """Create an account from {email, password}, sign it in and answer 201 {id, email}."""
    body = json_body()
    user = services.register_user(body.get("email"), body.get("password"))
    return jsonify(sign_in(user).to_json()), 201


@_route("/signin", ["/signIn"], methods=["POST"])
@limit_signin
def signin():
    """Sign in with {email, password} and answer 200 {id, email}."""
    body = json_body()
    user = services.authenticate(body.get("email"), body.get("password"))
    return jsonify(sign_in(user).to_json())


@_route("/signout", ["/signOut"], methods=["POST"])
def signout():
    """End the session and answer 200 {"currentUser": null}."""
    _refuse_non_json_body()
    sign_out()
    return jsonify({"currentUser": None})


@_route("/currentuser", ["/currentUser"], methods=["GET"])
def currentuser():
    """Answer who is signed in, from the session alone (no database read)."""
    return jsonify({"currentUser": current_user.to_json() if current_user.is_authenticated else None})


def _refuse_non_json_body():
    # The original clients sign out with an empty body, so none is needed; but any body must be JSON, which keeps a
    # cross-site form (always form-encoded, multipart or text/plain) out, like every other state change here.
    if request.mimetype and not request.is_json:
        raise UnsupportedMediaType()
    if request.get_data(cache=True):
        json_body()
