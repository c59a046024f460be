"""SMTP through Flask-Mailman: the server in force (MAIL_SERVER, or the embedded one), and sending one message.

With no MAIL_SERVER the app talks to the embedded SMTP server that `make run` starts on 127.0.0.1:MAIL_EMBEDDED_PORT
(app/platform/smtp.py), which keeps every message in the instance folder; in demo mode they are shown at /dev/mail.
"""

from email.utils import parseaddr

from flask import current_app
from flask_mailman import EmailMultiAlternatives, Mail

from app.platform.localstripe import effective_settings

TIMEOUT_SECONDS = 10
# Connect, greet, sender, recipient, data and quit each may take up to the timeout; a lease outlives them all, so
# only a worker that died mid-send gives its email up to another.
LEASE_SECONDS = 6 * TIMEOUT_SECONDS + 10

mail = Mail()


def settings(config):
    """Return the SMTP settings in force: MAIL_* when MAIL_SERVER is set, else the embedded server's."""
    embedded = not config["MAIL_SERVER"]
    return {
        "embedded": embedded,
        "host": "127.0.0.1" if embedded else config["MAIL_SERVER"],
        "port": config["MAIL_EMBEDDED_PORT"] if embedded else config["MAIL_PORT"],
        "use_tls": False if embedded else config["MAIL_USE_TLS"],
        "use_ssl": False if embedded else config["MAIL_USE_SSL"],
        "username": "" if embedded else config["MAIL_USERNAME"],
        "password": "" if embedded else config["MAIL_PASSWORD"],
    }


def demo_mailbox(config):
    """Return whether this store shows its sent emails at /dev/mail: demo mode (no Stripe key), no MAIL_SERVER."""
    return settings(config)["embedded"] and effective_settings(config)["demo"]


def send(email_id, to, subject, text, html):
    """Hand one message (plain text with an HTML alternative) to the SMTP server; raise if it is not accepted."""
    config = current_app.config
    smtp = settings(config)
    connection = mail.get_connection(
        backend="smtp", host=smtp["host"], port=smtp["port"], username=smtp["username"], password=smtp["password"],
        use_tls=smtp["use_tls"], use_ssl=smtp["use_ssl"], timeout=TIMEOUT_SECONDS)
    sender = config["MAIL_DEFAULT_SENDER"]
    domain = parseaddr(sender)[1].rpartition("@")[2] or "ticketing.localhost"
    # A Message-ID of our own, the same on every attempt: should a worker die after the server accepted a message
    # but before it was marked sent, the copy sent again carries the same id, so mail systems can tell it apart.
    message = EmailMultiAlternatives(subject, text, sender, [to], connection=connection,
                                     headers={"Message-ID": f"<{email_id}@{domain}>"})
    message.attach_alternative(html, "text/html")
    message.send()


def init_app(app):
    """Register Flask-Mailman (the connection settings themselves are read at each send)."""
    mail.init_app(app)
