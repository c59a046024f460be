"""Huey tasks of the payments context, and the sweep that finds what Huey or a lost webhook left behind."""

from app.platform.queue import task

from . import refunds, services


@task(name="payments.refund", retries=6, retry_delay=2)
def refund_task(refund_id):
    """Refund a payment at Stripe (id in; Huey retries while Stripe is unreachable)."""
    refunds.execute_refund(refund_id)


def sweep():
    """Queue stalled refunds again and settle payment attempts left pending."""
    refunds.requeue_stalled_refunds()
    services.reconcile_stale_payments()


SWEEPS = [sweep]
