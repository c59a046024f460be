"""The demo mailbox: the messages the embedded SMTP server kept in the instance folder, read for /dev/mail."""

from email import policy
from email.parser import BytesParser
from email.utils import parsedate_to_datetime

from app.platform.smtp import MESSAGE_NAME, mailbox_dir

from .errors import MailboxMessageNotFoundError


def _folder(config):
    return mailbox_dir(config["INSTANCE_PATH"])


def _summary(message_id, message):
    date = message["Date"]
    return {"id": message_id, "to": str(message["To"] or ""), "from": str(message["From"] or ""),
            "subject": str(message["Subject"] or "(no subject)"),
            "date": parsedate_to_datetime(date) if date else None}


def list_messages(config, limit=200):
    """Return the newest messages' summaries (id, from, to, subject, date), newest first."""
    folder = _folder(config)
    if not folder.is_dir():
        return []
    names = sorted((p.stem for p in folder.glob("*.eml") if MESSAGE_NAME.match(p.stem)), reverse=True)[:limit]
    out = []
    for name in names:
        with open(folder / f"{name}.eml", "rb") as fp:
            out.append(_summary(name, BytesParser(policy=policy.default).parse(fp, headersonly=True)))
    return out


def read_message(config, message_id):
    """Return one message's summary with its plain-text and HTML bodies, or raise MailboxMessageNotFoundError."""
    path = _folder(config) / f"{message_id}.eml"
    if not isinstance(message_id, str) or not MESSAGE_NAME.match(message_id) or not path.is_file():
        raise MailboxMessageNotFoundError()
    with open(path, "rb") as fp:
        message = BytesParser(policy=policy.default).parse(fp)
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    return {**_summary(message_id, message), "text": text.get_content() if text else "",
            "html": html.get_content() if html else None}
