"""Fixtures for split mode: the real nats-server with JetStream, and stream names unique to each test."""

import asyncio
import shutil
import socket
import uuid

import nats
import pytest

from app.platform.embedded import free_port, wait_for_port
from tests.servers import Process

DEFAULT_NATS = ("127.0.0.1", 4222)


def _listening(host, port):
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def nats_url(tmp_path_factory, out_dir):
    """Return the URL of a nats-server with JetStream: the machine's one at 4222, else one started for the session."""
    if _listening(*DEFAULT_NATS):
        yield "nats://{}:{}".format(*DEFAULT_NATS)
        return
    binary = shutil.which("nats-server")
    if binary is None:
        pytest.fail("no nats-server listens on 127.0.0.1:4222 and none is installed to start")
    port = free_port()
    store = tmp_path_factory.mktemp("nats")
    proc = Process([binary, "-js", "-a", "127.0.0.1", "-p", str(port), "-sd", str(store)], None,
                   out_dir / "nats-server.log")
    wait_for_port("127.0.0.1", port, timeout=15, process=proc.popen)
    yield f"nats://127.0.0.1:{port}"
    proc.stop()


def jetstream(url, action):
    """Run `await action(js)` on a fresh connection to the JetStream at `url` and return its result."""

    async def main():
        nc = await nats.connect(url, connect_timeout=3, max_reconnect_attempts=0, allow_reconnect=False)
        try:
            return await action(nc.jetstream(timeout=5))
        finally:
            await nc.close()

    return asyncio.run(main())


@pytest.fixture
def nats_settings(nats_url):
    """Return settings naming a stream and subjects of this test alone; the stream is deleted afterwards."""
    tag = uuid.uuid4().hex[:10]
    settings = {"NATS_URL": nats_url, "NATS_STREAM": f"TEST_{tag}", "NATS_SUBJECT_PREFIX": f"test_{tag}"}
    yield settings

    async def delete(js):
        try:
            await js.delete_stream(settings["NATS_STREAM"])
        except nats.js.errors.NotFoundError:
            pass

    jetstream(nats_url, delete)
