"""The tickets context: the dated events tickets are for, tickets listed for sale, their prices, and their status
(available, reserved, sold); the catalogue buyers search (events by words, city and date; tickets by event); and
what happens after a sale: e-tickets (a code per holder, checked in at the door, void once the ticket is resold),
resales, and each user's own tickets.

It owns the `tickets_*` collections and learns about reservations and sales only from the orders' events.
"""

from . import api, holder_views, views

BLUEPRINTS = [views.bp, holder_views.bp]
API_BLUEPRINTS = [api.bp, api.events_bp, api.etickets_bp]
