"""A real SMTP server (aiosmtpd, as `make run` starts it) for the tests, and reading what it received."""

import re
import time
from email import policy
from email.parser import BytesParser
from pathlib import Path

from app.platform import smtp
from app.platform.embedded import free_port
from tests.servers import wait_until

LINK = re.compile(r"https?://[^\s\"'<>]+")


class Message:
    """One message the server received, parsed."""

    def __init__(self, name, raw):
        self.name = name
        self.raw = raw
        parsed = BytesParser(policy=policy.default).parsebytes(raw)
        self.to = str(parsed["To"])
        self.sender = str(parsed["From"])
        self.subject = str(parsed["Subject"])
        self.message_id = str(parsed["Message-ID"])
        text, html = parsed.get_body(("plain",)), parsed.get_body(("html",))
        self.text = text.get_content() if text else ""
        self.html = html.get_content() if html else ""

    def links(self):
        """Return the absolute links of the plain-text part, in order."""
        return [link.rstrip(".,)") for link in LINK.findall(self.text)]

    def __repr__(self):
        return f"<Message to={self.to!r} subject={self.subject!r}>"


class MailServer:
    """An aiosmtpd server on a fixed port keeping messages in a folder; it can be stopped and started again."""

    def __init__(self, folder, port=None):
        self.folder = Path(folder)
        self.port = port or free_port()
        self.controller = None

    def start(self):
        """Start listening (again)."""
        self.controller = smtp.start(self.folder, self.port)
        return self

    def stop(self):
        """Stop listening: senders get "connection refused" until start()."""
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def messages(self, to=None, subject=None):
        """Return the messages received so far (oldest first), optionally only those to an address or subject part."""
        found = [Message(p.stem, p.read_bytes()) for p in sorted(self.folder.glob("*.eml"))]
        return [m for m in found if (to is None or to in m.to) and (subject is None or subject in m.subject)]

    def wait_for(self, to=None, subject=None, count=1, timeout=30.0):
        """Wait until at least `count` matching messages arrived; return them."""
        return wait_until(lambda: (found := self.messages(to, subject)) and len(found) >= count and found,
                          timeout=timeout, interval=0.1,
                          message=f"{count} email(s) to {to!r} about {subject!r}; have {self.messages()}")

    def settle(self, seconds=1.5):
        """Wait a little for anything still on its way (to see that no second copy arrives)."""
        time.sleep(seconds)

    @property
    def env(self):
        """Return the MAIL_* settings that point the app at this server."""
        return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(self.port)}
