"""Operator commands: `flask mail status` and `flask mail retry [--dead]`."""

import click
from flask.cli import AppGroup

from app.platform.cli import echo_status

mail_cli = AppGroup("mail", help="Inspect and retry the emails the store owes.")


@mail_cli.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def mail_status_command(as_json):
    """Print pending, sent and dead counts, and each dead email with its last error."""
    from .queries import mail_status

    status = mail_status()
    echo_status(status, as_json, [("pending", status["pending"]), ("sent", status["sent"]), ("dead", status["dead"])], [
        f"{dead['id']} ({dead['kind']} to {dead['to'] or 'user ' + dead['user_id']}) after {dead['attempts']} "
        f"attempts: {dead['last_error']}" for dead in status["dead_emails"]])


@mail_cli.command("retry")
@click.option("--dead", is_flag=True, help="Also revive dead emails (their attempts start again).")
def mail_retry_command(dead):
    """Queue every pending (and, with --dead, every dead) email now."""
    from .services import retry_emails

    click.echo(f"queued {retry_emails(dead=dead)} emails")
