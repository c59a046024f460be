"""Forms of the orders pages (the CSRF token is what they carry; the ticket id comes from the ticket page)."""

from flask_wtf import FlaskForm
from wtforms import HiddenField


class PurchaseForm(FlaskForm):
    """Reserve the ticket whose page the buyer is on."""

    ticket_id = HiddenField()


class CancelForm(FlaskForm):
    """Cancel an unpaid order."""
