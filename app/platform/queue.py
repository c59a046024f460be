"""Huey, bound to the app at init_app: Redis when REDIS_URL is set, else SQLite in the instance folder."""

import functools
import os

from huey import Huey
from huey.storage import BlackHoleStorage, PriorityRedisStorage, SqliteStorage


class UnboundStorage(BlackHoleStorage):
    """Refuse to queue anything until the app binds real storage: a task is never silently dropped."""

    def enqueue(self, data, priority=None):
        raise RuntimeError("Huey is not bound to an app yet: call create_app() first")

    def add_to_schedule(self, data, ts):
        raise RuntimeError("Huey is not bound to an app yet: call create_app() first")


class RedisStorage(PriorityRedisStorage):
    """Huey's Redis storage with task priorities (like its SQLite storage has): a timer due now must not wait behind
    a backlog of event deliveries. Its queue is a sorted set under a key of its own, so a list-typed queue left in
    Redis by an older release is never read as one (whatever sat in it, the sweep finds again from MongoDB)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.queue_key += ".priority"


class AppHuey(Huey):
    """A Huey whose storage is chosen by the app's configuration, not at import time."""

    def __init__(self):
        super().__init__("ticketing", results=False, utc=True, storage_class=UnboundStorage)
        self.flask_app = None
        self.named = {}  # "<context>.<task>" -> task, so services can queue a task without importing it

    def init_app(self, app):
        """Bind storage from REDIS_URL (or the instance folder) and remember the app for task contexts."""
        name = app.config["HUEY_NAME"]
        if app.config["REDIS_URL"]:
            import redis

            pool = redis.ConnectionPool.from_url(app.config["REDIS_URL"], socket_timeout=5, socket_connect_timeout=3)
            storage = RedisStorage(name, connection_pool=pool)
        else:
            os.makedirs(app.config["INSTANCE_PATH"], exist_ok=True)
            storage = SqliteStorage(name, filename=os.path.join(app.config["INSTANCE_PATH"], "huey.sqlite"))
        app.extensions["huey"] = self
        app.extensions["huey_storage"] = storage
        self.activate(app)

    def activate(self, app):
        """Make this process's Huey use an app's storage and run tasks in that app's context."""
        self.name = app.config["HUEY_NAME"]
        self.storage = app.extensions["huey_storage"]
        self.flask_app = app

    def ping(self):
        """Return None when the queue's storage answers, else the reason it does not."""
        try:
            self.storage.queue_size()
        except Exception as exc:  # storage backends raise their own driver errors
            return f"queue: {type(exc).__name__}"
        return None


huey = AppHuey()


def task(name=None, **options):
    """Declare a Huey task that runs inside the bound app's context, queueable by `name` if it has one."""

    def decorator(fn):
        @functools.wraps(fn)
        def in_app_context(*args, **kwargs):
            from flask import has_app_context

            if has_app_context():
                return fn(*args, **kwargs)
            with huey.flask_app.app_context():
                return fn(*args, **kwargs)

        wrapper = huey.task(**options)(in_app_context)
        if name is not None:
            if huey.named.setdefault(name, wrapper) is not wrapper:
                raise ValueError(f"task name {name!r} is declared twice")
        return wrapper

    return decorator


def enqueue(name, *args, eta=None, delay=None):
    """Queue the task declared under `name` with these arguments (at `eta` or after `delay` seconds if given)."""
    try:
        wrapper = huey.named[name]
    except KeyError:
        raise KeyError(f"no task is declared as {name!r}; is its context's tasks module imported?") from None
    if eta is None and delay is None:
        return wrapper(*args)
    return wrapper.schedule(args=args, eta=eta, delay=delay)
