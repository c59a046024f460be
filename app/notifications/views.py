"""The demo mailbox pages: /dev/mail lists what the store sent, /dev/mail/<id> shows one message.

They exist only in demo mode with no MAIL_SERVER (the embedded SMTP server keeps the messages); otherwise 404.
"""

from flask import Blueprint, Response, abort, current_app, render_template

from app.platform.http import with_security_headers

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


# An email's HTML is styled inline, as every email must be: this document alone may use inline styles, and nothing
# else (no script, no request anywhere); only the store's own message page may frame it.
_EMAIL_POLICY = {"default-src": "'none'", "script-src": "'none'", "style-src": "'unsafe-inline'", "img-src": "data:",
                 "frame-ancestors": "'self'", "base-uri": "'none'", "form-action": "'none'"}


@bp.get("/dev/mail/<message_id>/html")
@with_security_headers(frame_options="SAMEORIGIN", content_security_policy=_EMAIL_POLICY)
def mailbox_html(message_id):
    """Serve one email's HTML part for the message page's sandboxed frame; its links open the store in the tab."""
    html = mailbox.read_message(current_app.config, message_id)["html"]
    if html is None:
        abort(404)
    return Response('<base target="_top">' + html, mimetype="text/html")
