"""The orders context: buyers' reservations of tickets (orders), their expiry, and the replica of tickets for sale.

It owns the `orders_*` collections; it learns about tickets and payments only from their events.
"""

from . import api, views

BLUEPRINTS = [views.bp]
API_BLUEPRINTS = [api.bp]
