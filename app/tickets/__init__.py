"""The tickets context: the dated events tickets are for, tickets listed for sale, their prices, and their status
(available, reserved, sold); and the catalogue buyers search (events by words, city and date; tickets by event).

It owns the `tickets_*` collections and learns about reservations and sales only from the orders' events.
"""

from . import api, views

BLUEPRINTS = [views.bp]
API_BLUEPRINTS = [api.bp, api.events_bp]
