"""The embedded SMTP server (aiosmtpd) that `make run` starts when no MAIL_SERVER is configured.

It accepts every message for any recipient and keeps each one as a file in a folder (the instance folder's `mail/`),
named `<nanoseconds>-<random>.eml` so that names sort by arrival. A file is written under a temporary name (mode 0600:
mail is personal) and renamed into place, so a reader never sees half a message. Nothing is relayed anywhere.
It knows nothing about what the messages say; `python -m app.platform.smtp --dir D --port P` runs it alone.
"""

import argparse
import os
import re
import signal
import threading
import time
import uuid
from pathlib import Path

MESSAGE_NAME = re.compile(r"^\d{20}-[0-9a-f]{8}$")


def mailbox_dir(instance_path):
    """Return the folder where the embedded SMTP server of an instance keeps its messages."""
    return Path(instance_path) / "mail"


class FolderHandler:
    """An aiosmtpd handler that stores each message it is given as one file in `folder`."""

    def __init__(self, folder):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)

    async def handle_DATA(self, server, session, envelope):
        """Keep the message as a file and accept it."""
        self.store(envelope.original_content or envelope.content)
        return "250 Message accepted for delivery"

    def store(self, data):
        """Write one raw message atomically; return its name (without .eml)."""
        if isinstance(data, str):
            data = data.encode()
        name = f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}"
        tmp = self.folder / f".{name}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, self.folder / f"{name}.eml")
        return name


def start(folder, port, host="127.0.0.1"):
    """Start an SMTP server on host:port in a thread of this process, storing into `folder`; return its controller."""
    from aiosmtpd.controller import Controller

    controller = Controller(FolderHandler(folder), hostname=host, port=port, ready_timeout=10)
    controller.start()
    return controller


def main(argv=None):
    """Serve until SIGTERM or SIGINT."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    controller = start(args.dir, args.port, args.host)
    print(f"smtp: listening on {args.host}:{args.port}, keeping messages in {args.dir}", flush=True)
    try:
        while not stop.wait(1.0):
            pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
