"""Reactions of the tickets context to other contexts' events: a ticket's status follows its orders."""

from app.auth.events import SessionEnded
from app.orders.events import OrderCancelled, OrderCompleted, OrderCreated
from app.platform import identity
from app.platform.dispatcher import version_ordered

from . import services


@version_ordered
def reserve_for_new_order(event):
    """Reserve the ticket an order was placed for."""
    services.reserve_ticket(event.ticket_id, event.aggregate_id, event.version, title=event.title,
                            price=event.price, currency=event.currency, reserved_until=event.expires_at)


@version_ordered
def release_for_cancelled_order(event):
    """Put the ticket of a cancelled or expired order back on sale."""
    services.release_ticket(event.ticket_id, event.aggregate_id, event.version)


@version_ordered
def sell_for_completed_order(event):
    """Mark the ticket of a paid order sold and issue its buyer's e-ticket (the previous holder's code is void)."""
    services.sell_ticket(event.ticket_id, event.aggregate_id, event.version, buyer_id=event.user_id,
                         buyer_email=event.user_email)


def forget_ended_session(event: SessionEnded):
    """Answer a signed-out session's cookie as signed out here too."""
    identity.record_ended_session(event.aggregate_id, event.user_id, event.expires_at)


HANDLERS = {
    OrderCreated.type: [reserve_for_new_order],
    OrderCancelled.type: [release_for_cancelled_order],
    OrderCompleted.type: [sell_for_completed_order],
    SessionEnded.type: [forget_ended_session],
}
