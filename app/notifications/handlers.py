"""Reactions of the notifications context: every email it sends starts here, from another context's event."""

from app.auth.events import UserRegistered
from app.orders.events import OrderCancelled, OrderCompleted, OrderCreated
from app.payments.events import PaymentRefunded
from app.platform.dispatcher import version_ordered
from app.tickets.events import EventScheduled, EventUpdated, TicketCreated, TicketUpdated

from . import services


def on_user_registered(event):
    """Remember the new account's address and welcome it."""
    services.welcome_user(event.aggregate_id, event.version, event.email, event.id)


@version_ordered  # the record's version check: a redelivered version changes nothing and so writes no email either
def on_ticket_changed(event):
    """Keep the record of the ticket; a ticket that just sold is news for its seller."""
    services.record_ticket(event.aggregate_id, event.version, event.title, event.price, event.currency,
                           event.user_id, event.status, event.order_id, event.id, event.event_id)


@version_ordered
def on_show_changed(event):
    """Keep the record of a dated event, to name it in the emails about its tickets."""
    services.record_show(event.aggregate_id, event.version, event.name, event.venue, event.city, event.starts_at,
                         event.utc_offset)


def on_order_created(event):
    """Tell the buyer the ticket is reserved and by when to pay."""
    services.announce_reservation(event.aggregate_id, event.version, event.user_id, event.ticket_id, event.title,
                                  event.price, event.currency, event.expires_at, event.occurred_at, event.id)


def on_order_completed(event):
    """Tell the buyer their payment was received."""
    services.announce_payment(event.aggregate_id, event.occurred_at, event.id)


def on_order_cancelled(event):
    """Tell the buyer their reservation expired or was cancelled."""
    services.announce_reservation_end(event.aggregate_id, event.reason, event.occurred_at, event.id)


def on_payment_refunded(event):
    """Tell the buyer their money is on its way back, and why."""
    services.announce_refund(event.order_id, event.amount, event.currency, event.reason, event.occurred_at, event.id)


HANDLERS = {
    UserRegistered.type: [on_user_registered],
    TicketCreated.type: [on_ticket_changed],
    TicketUpdated.type: [on_ticket_changed],
    EventScheduled.type: [on_show_changed],
    EventUpdated.type: [on_show_changed],
    OrderCreated.type: [on_order_created],
    OrderCompleted.type: [on_order_completed],
    OrderCancelled.type: [on_order_cancelled],
    PaymentRefunded.type: [on_payment_refunded],
}
