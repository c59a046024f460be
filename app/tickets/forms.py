"""Forms of the tickets pages; the rules on title and price live in the services, so pages and API agree."""

from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField


class TicketForm(FlaskForm):
    """Sell or edit a ticket: a title and a price in major units."""

    title = StringField("Title", render_kw={"maxlength": 200, "required": True, "autocomplete": "off"})
    price = StringField("Price", render_kw={"inputmode": "decimal", "required": True, "autocomplete": "off"})
    submit = SubmitField("Save")
