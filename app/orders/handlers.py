"""Reactions of the orders context to other contexts' events: the tickets replica, and payments."""

from app.auth.events import SessionEnded
from app.payments.events import PaymentSucceeded
from app.platform import identity
from app.platform.dispatcher import version_ordered
from app.tickets.events import (
    ETicketIssued,
    EventScheduled,
    EventUpdated,
    TicketCreated,
    TicketReservationRefused,
    TicketSaleRefused,
    TicketUpdated,
)

from . import services


@version_ordered
def replicate_ticket(event):
    """Apply a ticket's new version to orders' replica of the tickets."""
    services.record_ticket(event.aggregate_id, event.version, title=event.title, price=event.price,
                           currency=event.currency, user_id=event.user_id, status=event.status,
                           order_id=event.order_id, event_id=event.event_id, starts_at=event.starts_at,
                           reason=getattr(event, "reason", None))  # TicketCreated has none


@version_ordered  # a redelivered version changes nothing and so queues no timer either
def replicate_event(event):
    """Apply a dated event's new version to orders' replica of the events (their start above all)."""
    services.record_event(event.aggregate_id, event.version, name=event.name, venue=event.venue, city=event.city,
                          starts_at=event.starts_at, utc_offset=event.utc_offset)


def complete_paid_order(event):
    """Complete the order a payment succeeded for (or reject the payment if the order ended)."""
    services.complete_order(event.order_id, event.aggregate_id, paid_at=event.occurred_at)


def cancel_refused_order(event: TicketReservationRefused):
    """Cancel the order tickets refused (the ticket changed before the reservation reached it)."""
    services.cancel_for_changed_ticket(event.order_id, event.aggregate_id)


def end_refused_sale(event: TicketSaleRefused):
    """End the paid order tickets refused to sell to (the holder was let in at the door first): its money goes back."""
    services.end_refused_sale(event.order_id, event.aggregate_id, event.reason)


def forget_ended_session(event: SessionEnded):
    """Answer a signed-out session's cookie as signed out here too."""
    identity.record_ended_session(event.aggregate_id, event.user_id, event.expires_at)


def remember_eticket(event):
    """Keep the e-ticket code issued for a completed order, to show its buyer."""
    services.record_eticket(event.order_id, event.code)


HANDLERS = {
    TicketCreated.type: [replicate_ticket],
    TicketUpdated.type: [replicate_ticket],
    PaymentSucceeded.type: [complete_paid_order],
    TicketReservationRefused.type: [cancel_refused_order],
    TicketSaleRefused.type: [end_refused_sale],
    SessionEnded.type: [forget_ended_session],
    EventScheduled.type: [replicate_event],
    EventUpdated.type: [replicate_event],
    ETicketIssued.type: [remember_eticket],
}
