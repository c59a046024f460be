"""The tickets context: tickets listed for sale, their prices, and their status (available, reserved, sold).

It owns the `tickets_*` collections and learns about reservations and sales only from the orders' events.
"""

from . import api, views

BLUEPRINTS = [views.bp]
API_BLUEPRINTS = [api.bp]
