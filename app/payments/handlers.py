"""Reactions of the payments context to other contexts' events: keep the replicas of orders and of their dated events,
refund rejected payments."""

from app.auth.events import SessionEnded
from app.orders.events import (
    OrderCancelled,
    OrderCompleted,
    OrderCreated,
    OrderPaymentRejected,
)
from app.platform import identity
from app.platform.dispatcher import version_ordered
from app.tickets.events import EventScheduled, EventUpdated

from . import refunds, services


@version_ordered
def on_order_created(event: OrderCreated):
    """Start the replica of a new order."""
    show = None if not event.event_id else {
        "id": event.event_id, "name": event.event_name, "venue": event.event_venue, "city": event.event_city,
        "starts_at": event.event_starts_at, "utc_offset": event.event_utc_offset}
    services.apply_order_created(event.aggregate_id, event.version, event.user_id, event.status, event.price,
                                 event.currency, event.expires_at, event.correlation_id, show)


@version_ordered
def replicate_event(event):
    """Apply a dated event's new version to payments' replica of the events (what the payment page says of it)."""
    services.record_event(event.aggregate_id, event.version, name=event.name, venue=event.venue, city=event.city,
                          starts_at=event.starts_at, utc_offset=event.utc_offset)


@version_ordered
def on_order_cancelled(event: OrderCancelled):
    """Mark the replica cancelled: the order takes no more money."""
    services.apply_order_status(event.aggregate_id, event.version, "cancelled")


@version_ordered
def on_order_completed(event: OrderCompleted):
    """Mark the replica complete (paid)."""
    services.apply_order_status(event.aggregate_id, event.version, "complete")


def on_order_payment_rejected(event: OrderPaymentRejected):
    """Give back money that arrived for an order that could no longer be paid."""
    refunds.refund_payment(event.payment_id, f"order {event.reason}")


def forget_ended_session(event: SessionEnded):
    """Answer a signed-out session's cookie as signed out here too."""
    identity.record_ended_session(event.aggregate_id, event.user_id, event.expires_at)


HANDLERS = {
    OrderCreated.type: [on_order_created],
    OrderCancelled.type: [on_order_cancelled],
    OrderCompleted.type: [on_order_completed],
    OrderPaymentRejected.type: [on_order_payment_rejected],
    SessionEnded.type: [forget_ended_session],
    EventScheduled.type: [replicate_event],
    EventUpdated.type: [replicate_event],
}
