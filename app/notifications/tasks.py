"""Huey tasks of the notifications context: sending one email, and the sweep that finds emails whose task was lost."""

from app.platform.queue import task

from . import services


@task(name="notifications.send_email")
def send_email_task(email_id):
    """Send one pending email (id in; failures are retried by the service's own backoff, not by Huey)."""
    services.send_email(email_id)


def sweep():
    """Queue again the emails that are due and owed but whose task is gone."""
    services.requeue_stalled_emails()


SWEEPS = [sweep]
