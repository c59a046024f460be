"""Huey tasks of the orders context: the expiry timer, and the sweep that stands in for lost timers."""

from app.platform.queue import task

from . import services


@task(name="orders.expire_order", priority=10)  # a timer is due at a moment: it goes ahead of queued event deliveries
def expire_order_task(order_id):
    """Expire the order if it is still unpaid when its timer fires."""
    services.expire_order(order_id)


SWEEPS = [services.cancel_overdue_orders]
