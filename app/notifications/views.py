"""The demo mailbox pages: /dev/mail lists what the store sent, /dev/mail/<id> shows one message.

They exist only in demo mode with no MAIL_SERVER (the embedded SMTP server keeps the messages); otherwise 404.
"""

from flask import Blueprint, abort, current_app, render_template

from . import mailbox, mailer

bp = Blueprint("notifications", __name__, template_folder="templates")


@bp.before_request
def _only_in_demo_mode():
    if not mailer.demo_mailbox(current_app.config):
        abort(404)


@bp.get("/dev/mail")
def mailbox_index():
    """List the emails the store sent, newest first."""
    return render_template("notifications/mailbox.html", messages=mailbox.list_messages(current_app.config))


@bp.get("/dev/mail/<message_id>")
def mailbox_show(message_id):
    """Show one email: its headers, its HTML part in a sandboxed frame, and its plain text."""
    return render_template("notifications/message.html", message=mailbox.read_message(current_app.config, message_id))
