"""Unbound extension singletons; create_app() binds them with init_app()."""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from .platform.mongo import Mongo
from .platform.queue import huey

mongo = Mongo()
csrf = CSRFProtect()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)

__all__ = ["csrf", "huey", "limiter", "login_manager", "mongo"]
