"""Operator commands: `flask outbox status|retry` and `flask db upgrade|status`."""

import json

import click
from flask import current_app
from flask.cli import AppGroup

outbox_cli = AppGroup("outbox", help="Inspect and retry event deliveries.")
events_cli = AppGroup("events", help="Follow events through the contexts.")
db_cli = AppGroup("db", help="Apply and list database migrations.")


def echo_status(status, as_json, lines, dead):
    """Print an operator's status: its JSON, or a `label: value` line per figure and a line per dead item."""
    if as_json:
        click.echo(json.dumps(status))
        return
    for label, value in lines:
        click.echo(f"{label}: {value}")
    for item in dead:
        click.echo(f"  dead {item}")


@outbox_cli.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def outbox_status_command(as_json):
    """Print pending, delivered and dead counts and the oldest pending age."""
    from .relay import outbox_status

    status = outbox_status()
    age = status["oldest_pending_age_seconds"]
    echo_status(status, as_json, [
        ("unrelayed events", status["unrelayed_events"]),
        ("pending deliveries", status["pending"]),
        ("delivered", status["delivered"]),
        ("dead", status["dead"]),
        ("oldest pending age", "-" if age is None else f"{age}s"),
    ], [f"{dead['id']} after {dead['attempts']} attempts: {dead['last_error']}" for dead in status["dead_deliveries"]])


@outbox_cli.command("retry")
@click.option("--dead", is_flag=True, help="Also revive dead deliveries.")
def outbox_retry_command(dead):
    """Relay pending events and queue pending (and, with --dead, dead) deliveries now."""
    from .delivery import retry
    from .relay import relay_pending

    relayed = relay_pending()
    queued = retry(dead=dead)
    click.echo(f"relayed {relayed} events, queued {queued} deliveries")


@outbox_cli.command("purge")
@click.option("--dead", is_flag=True, help="Delete dead deliveries (the only kind purged by hand).")
@click.option("--older-than", "days", type=click.FloatRange(min=0), required=True,
              help="Given up on this many days ago.")
def outbox_purge_command(dead, days):
    """Delete dead deliveries given up on more than DAYS days ago (the sweep never deletes them)."""
    from .retention import purge_dead

    if not dead:
        raise click.UsageError("only dead deliveries are purged by hand (pass --dead); the sweep deletes the rest")
    click.echo(f"deleted {purge_dead(days * 86400)} dead deliveries")


@events_cli.command("trace")
@click.argument("aggregate_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def events_trace_command(aggregate_id, as_json):
    """Print the chain of events about an order or ticket id, oldest first (while retention keeps them)."""
    from .trace import trace

    chain = trace(aggregate_id)
    if as_json:
        click.echo(json.dumps(chain, default=str))
        return
    if not chain:
        click.echo(f"no events about {aggregate_id} (unknown id, or older than the retention)")
        return
    types = {event["id"]: event["type"] for event in chain}
    for event in chain:
        cause = event["causation_id"]
        caused = f"caused by {types.get(cause, '?')} {cause[:8]}" if cause else "started by a request or timer"
        click.echo(f"{event['time'].isoformat(timespec='milliseconds')}  {event['context']:<13} {event['type']:<40}"
                   f" {event['aggregate_id']} v{event['version']}  {event['id'][:8]}  {caused}"
                   f"  [correlation {event['correlation_id']}]")
        for handler in event["handlers"]:
            at = f" at {handler['at'].isoformat(timespec='milliseconds')}" if handler["at"] else ""
            click.echo(f"{'':>31}-> {handler['handler']}: {handler['status']}{at}")


def _migrations_db():
    # A client of its own without the request deadline (timeoutMS): an index build on a large collection may take
    # longer than any request should.
    from pymongo import MongoClient

    db = current_app.extensions["mongo"].db
    client = MongoClient(current_app.config["MONGODB_URI"], tz_aware=True,
                         serverSelectionTimeoutMS=current_app.config["MONGODB_TIMEOUT_MS"])
    return client[db.name]


@db_cli.command("upgrade")
def db_upgrade_command():
    """Apply every migration not applied yet."""
    from migrations.runner import upgrade

    db = _migrations_db()
    try:
        applied = upgrade(db, current_app.config["CONTEXTS"])
    finally:
        db.client.close()
    click.echo(f"applied {len(applied)} migrations" + "".join(f"\n  {name}" for name in applied))


@db_cli.command("status")
def db_status_command():
    """List migrations and whether each is applied."""
    from migrations.runner import status

    for name, applied in status(current_app.extensions["mongo"].db, current_app.config["CONTEXTS"]):
        click.echo(f"{'applied' if applied else 'pending'}  {name}")
