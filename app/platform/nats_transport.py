"""The NATS JetStream transport (EVENT_TRANSPORT=nats): contexts in separate processes exchange events via a stream.

Publishing: the relay hands each committed outbox event to `publish()`, which stores it in the stream
(NATS_STREAM, subject `<NATS_SUBJECT_PREFIX>.<event type>`) with the event id as `Nats-Msg-Id`, so the stream drops a
duplicate published again within its duplicate window, and waits for the stream's acknowledgement. Any failure raises,
and the relay leaves the event pending for the sweep.

Consuming (worker only): one durable pull consumer per served context, named after it, filtered to the event types
its handlers subscribe to, with explicit acks. A message is handed to that context's handlers exactly as the local
transport hands an event over (`deliver_now`: applied at once, or recorded as a pending delivery), so the same
handlers, inbox and ordering rules run; only then is it acknowledged. A message
that cannot be taken in NATS_MAX_DELIVER times is dead: it is recorded as dead deliveries (shown by
`flask outbox status`, revived by `flask outbox retry --dead`) and only then terminated in NATS.

nats-py is asyncio and the rest of the app is threads: one event loop runs in a daemon thread, and synchronous
callers submit coroutines to it. The connection is made on first use, and every wait has a timeout.
"""

import asyncio
import contextlib
import json
import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeoutError

from nats.aio.client import Client
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import api
from nats.js.errors import APIError, NotFoundError

from .delivery import deliver_now
from .dispatcher import context_of
from .documents import Delivery, utcnow

log = logging.getLogger(__name__)

# Long enough to cover a relay that published, crashed before marking the event, and was swept again.
DUPLICATE_WINDOW_SECONDS = 600
# One message per pull: a pull for a batch waits out its whole timeout for the rest once the first has arrived,
# which would add a second to every hop; the database, not NATS, limits throughput here.
FETCH_BATCH = 1
FETCH_WAIT_SECONDS = 1.0


class NatsTransport:
    """Publish outbox events to JetStream and, in the worker, turn the served contexts' messages into deliveries."""

    name = "nats"

    def __init__(self, app):
        self.app = app
        config = app.config
        self.url = config["NATS_URL"]
        self.stream = config["NATS_STREAM"]
        self.prefix = config["NATS_SUBJECT_PREFIX"]
        self.max_deliver = max(1, config["NATS_MAX_DELIVER"])
        self.ack_wait = config["NATS_ACK_WAIT_SECONDS"]
        self.timeout = config["NATS_TIMEOUT_SECONDS"]
        self.backoff = config["DELIVERY_BACKOFF_SECONDS"]
        self._lock = threading.Lock()
        self._loop = None
        self._thread = None
        self._pid = None
        self._nc = None
        self._js = None
        self._connecting = None
        self._stopping = False
        self._consumers = []
        self._pool = None

    # --- synchronous API (relay, worker) ---------------------------------------------------------------------------

    def subject(self, event_type):
        """Return the subject that carries events of a type."""
        return f"{self.prefix}.{event_type}"

    def publish(self, payload):
        """Store one event in the stream (once per event id) and return the stream's acknowledgement, or raise."""
        data = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
        return self.run(self._publish(self.subject(payload["type"]), data, payload["id"]))

    def publish_many(self, payloads):
        """Store several events in the stream in order, each acknowledged before the next is sent."""
        for payload in payloads:
            self.publish(payload)

    def plan(self):
        """Return {consumer name: set of event types} for the contexts this process serves."""
        plan = {}
        for event_type, names in self.app.extensions["dispatcher"].by_type.items():
            for name in names:
                context = context_of(name)
                if context in self.app.config["CONTEXTS"]:
                    plan.setdefault(context, set()).add(event_type)
        return plan

    def start_consuming(self):
        """Start one durable consumer per served context that subscribes to anything (returns at once)."""
        plan = self.plan()
        if not plan:
            log.info("nats: no served context subscribes to any event; nothing to consume")
            return
        self._stopping = False
        self._pool = ThreadPoolExecutor(max_workers=len(plan), thread_name_prefix="nats-consumer")
        self.run(self._start_consumers(plan))
        log.info("nats: consuming %s from stream %s at %s", ", ".join(sorted(plan)), self.stream, self.url)

    def close(self):
        """Stop consuming and close the connection (waits a few seconds at most)."""
        self._stopping = True
        loop = self._loop
        if loop is not None and self._pid == os.getpid() and loop.is_running():
            try:
                asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(self.timeout + 2)
            except Exception:  # closing must never keep a stopping process alive
                log.warning("nats: connection did not close cleanly", exc_info=True)
            loop.call_soon_threadsafe(loop.stop)
            self._thread.join(self.timeout)
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        self._loop = None

    def run(self, coro):
        """Run a coroutine on the transport's event loop from synchronous code and return its result."""
        future = asyncio.run_coroutine_threadsafe(coro, self._ensure_loop())
        try:
            # Connecting, checking the stream and publishing each have their own timeout; this bounds them together.
            return future.result(self.timeout * 3 + 1)
        except FutureTimeoutError:
            future.cancel()
            raise TimeoutError(f"NATS at {self.url} did not answer in time") from None

    # --- the event loop thread --------------------------------------------------------------------------------------

    def _ensure_loop(self):
        with self._lock:
            # A forked child (gunicorn worker) must not reuse its parent's loop thread, which did not survive the fork.
            if self._loop is None or self._pid != os.getpid():
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=self._run_loop, args=(loop,), name="nats-loop", daemon=True)
                thread.start()
                self._loop, self._thread, self._pid = loop, thread, os.getpid()
                self._nc = self._js = None
                self._connecting = asyncio.Lock()
            return self._loop

    @staticmethod
    def _run_loop(loop):
        asyncio.set_event_loop(loop)
        loop.run_forever()

    async def _jetstream(self):
        async with self._connecting:
            if self._nc is None or self._nc.is_closed:
                nc = Client()
                try:
                    # Reconnect forever once connected (a NATS restart must not end a worker), but bound the first try.
                    await asyncio.wait_for(nc.connect(
                        servers=[self.url], name=f"ticketing-{','.join(self.app.config['CONTEXTS'])}",
                        connect_timeout=self.timeout, allow_reconnect=True, max_reconnect_attempts=-1,
                        reconnect_time_wait=1, error_cb=self._on_error, disconnected_cb=self._on_disconnected,
                        reconnected_cb=self._on_reconnected,
                    ), self.timeout)
                    js = nc.jetstream(timeout=self.timeout)
                    await self._ensure_stream(js)
                except BaseException:
                    await self._close_quietly(nc)
                    raise
                self._nc, self._js = nc, js
            return self._js

    async def _ensure_stream(self, js):
        try:
            await js.stream_info(self.stream)
            return
        except NotFoundError:
            pass
        config = api.StreamConfig(
            name=self.stream, subjects=[f"{self.prefix}.>"], storage=api.StorageType.FILE,
            retention=api.RetentionPolicy.LIMITS, duplicate_window=DUPLICATE_WINDOW_SECONDS,
            description="ticketing domain events (outbox relay)",
        )
        try:
            await js.add_stream(config)
            log.info("nats: created stream %s for %s.>", self.stream, self.prefix)
        except APIError:
            await js.stream_info(self.stream)  # another process created it at the same moment: fine if it exists now

    async def _publish(self, subject, data, msg_id):
        js = await self._jetstream()
        ack = await js.publish(subject, data, timeout=self.timeout, stream=self.stream,
                               headers={"Nats-Msg-Id": msg_id})
        if ack.duplicate:
            log.info("nats: %s was in the stream already (duplicate dropped)", msg_id)
        return ack

    async def _start_consumers(self, plan):
        for consumer, types in sorted(plan.items()):
            self._consumers.append(asyncio.create_task(self._consume_forever(consumer, types), name=consumer))

    async def _shutdown(self):
        # Consumers first, then the connection. A message interrupted here is not acknowledged: NATS redelivers it,
        # and its inbox entries (or its replicas' versions) make a second application harmless.
        for task in self._consumers:
            task.cancel()
        await asyncio.gather(*self._consumers, return_exceptions=True)
        self._consumers = []
        nc, self._nc, self._js = self._nc, None, None
        if nc is not None:
            await self._close_quietly(nc)

    @staticmethod
    async def _close_quietly(nc):
        # Already closed or unreachable: nothing left to release.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(nc.close(), 2)

    async def _on_error(self, exc):
        log.warning("nats: %s: %s", type(exc).__name__, exc)

    async def _on_disconnected(self):
        if not self._stopping:
            log.warning("nats: disconnected from %s; reconnecting", self.url)

    async def _on_reconnected(self):
        log.info("nats: reconnected to %s", self.url)

    # --- consuming ---------------------------------------------------------------------------------------------------

    async def _consume_forever(self, consumer, types):
        delay = 0.5
        while not self._stopping:
            subscription = None
            try:
                subscription = await self._subscribe(consumer, types)
                delay = 0.5
                while not self._stopping:
                    try:
                        messages = await subscription.fetch(FETCH_BATCH, timeout=FETCH_WAIT_SECONDS)
                    except (TimeoutError, NatsTimeoutError):
                        continue  # nothing new
                    for message in messages:
                        await self._handle(consumer, types, message)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - any failure: log, wait, reconnect
                if self._stopping:
                    return
                # NATS down or restarting, or the database briefly unreachable: try again, never give up.
                log.warning("nats: consumer %s stopped (%s: %s); retrying in %.1fs", consumer, type(exc).__name__,
                            exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
            finally:
                if subscription is not None:
                    with contextlib.suppress(Exception):  # the connection may be gone already
                        await subscription.unsubscribe()

    def _filters(self, types):
        version = self._nc.connected_server_version
        if (version.major, version.minor) >= (2, 10):
            return sorted(self.subject(t) for t in types)
        # Servers before 2.10 take one filter per consumer and cannot change it: take every event (a context's
        # handlers may change later) and acknowledge the unsubscribed ones at once.
        return [f"{self.prefix}.>"]

    async def _subscribe(self, consumer, types):
        js = await self._jetstream()
        filters = self._filters(types)
        config = api.ConsumerConfig(
            name=consumer, durable_name=consumer, description=f"ticketing context {consumer}",
            deliver_policy=api.DeliverPolicy.ALL, ack_policy=api.AckPolicy.EXPLICIT, ack_wait=self.ack_wait,
            # The limit is counted here, not by the server: a message is terminated only after it is recorded as dead,
            # so an unreachable database cannot make the server drop it silently.
            max_deliver=-1, max_ack_pending=1000,
        )
        if len(filters) == 1:
            config.filter_subject = filters[0]
        else:
            config.filter_subjects = filters
        try:
            info = await js.consumer_info(self.stream, consumer)
        except NotFoundError:
            info = None
        current = None if info is None else (info.config.filter_subjects or [info.config.filter_subject])
        if info is None:
            await js.add_consumer(self.stream, config)
        elif sorted(current) != filters:
            # The context's handlers changed: update the filter (the consumer keeps its position in the stream).
            log.info("nats: updating consumer %s filter %s -> %s", consumer, current, filters)
            try:
                await js.add_consumer(self.stream, config)
            except APIError as exc:
                # Servers before 2.10 cannot change a filter: keep consuming with the old one and say how to fix it.
                log.error("nats: cannot update consumer %s (%s); remove it (`nats consumer rm %s %s`) to recreate it",
                          consumer, exc, self.stream, consumer)
        return await js.pull_subscribe_bind(durable=consumer, stream=self.stream)

    async def _handle(self, consumer, types, message):
        event_type = message.subject[len(self.prefix) + 1:]
        if event_type not in types:
            await message.ack()
            return
        attempt = message.metadata.num_delivered
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._pool, self._in_app, self.accept, message.data, consumer)
        except Exception as exc:  # noqa: BLE001 - whatever failed, NATS redelivers or the message is recorded dead
            if attempt < self.max_deliver:
                delay = min(self.backoff * 2 ** (attempt - 1), 30.0)
                log.warning("nats: %s could not take %s (delivery %s of %s), again in %.1fs: %s: %s", consumer,
                            event_type, attempt, self.max_deliver, delay, type(exc).__name__, exc)
                await message.nak(delay=delay)
                return
            try:
                await loop.run_in_executor(self._pool, self._in_app, self.record_dead, consumer, event_type,
                                           message.data, message.metadata.sequence.stream, attempt, exc)
            except Exception:
                log.exception("nats: could not record dead message of %s; it stays in NATS", consumer)
                await message.nak(delay=min(self.backoff * 2 ** (attempt - 1), 30.0))
                return
            log.error("nats: %s gave up on %s after %s deliveries: %s: %s", consumer, event_type, attempt,
                      type(exc).__name__, exc)
            await message.term()
            return
        await message.ack()

    def _in_app(self, fn, *args):
        with self.app.app_context():
            return fn(*args)

    def accept(self, data, context=None):
        """Apply one message's event to the handlers of a context (all served ones if None), as local mode does."""
        payload = json.loads(data)
        if not isinstance(payload, dict) or not payload.get("id") or not payload.get("type"):
            raise ValueError("not an event: it needs an id and a type")
        return deliver_now([payload], context)

    def record_dead(self, consumer, event_type, data, stream_seq, attempts, exc):
        """Record a message this consumer gave up on as dead deliveries, one per handler of the consumer's context."""
        error = f"NATS consumer {consumer} gave up after {attempts} deliveries: {type(exc).__name__}: {exc}"[:2000]
        try:
            payload = json.loads(data)
            event_id = payload["id"]
        except (ValueError, TypeError, KeyError):  # not an event: keep its raw text so an operator can see it
            payload, event_id = {"type": event_type, "raw": data.decode("utf-8", "replace")[:10000]}, None
        handlers = self.app.extensions["dispatcher"].handlers_for(event_type, consumer) if event_id else []
        # The same ids the deliveries would have had, so `flask outbox retry --dead` runs the real handler later.
        records = [(f"{event_id}:{n}", n) for n in handlers] or [(f"nats:{self.stream}:{stream_seq}:{consumer}",
                                                                  f"nats:{consumer}")]
        collection = self.app.extensions["mongo"].db[Delivery._get_collection_name()]
        now = utcnow()
        for delivery_id, handler in records:
            collection.update_one({"_id": delivery_id}, {"$setOnInsert": {
                "event_id": event_id, "event_type": event_type, "handler": handler, "payload": payload,
                "status": "dead", "attempts": attempts, "waits": 0, "last_error": error, "lease_until": None,
                "next_attempt_at": now, "enqueued_at": now, "created_at": now, "died_at": now,
            }}, upsert=True)
        return [delivery_id for delivery_id, _ in records]
