"""Embedded stand-ins for production services, for a machine where nothing is configured.

`python -m app.platform.embedded mongo --path FILE --port N` serves the MongoDB wire protocol from mongoeco's SQLite
engine (one transaction at a time: the unit of work retries around that).
"""

import argparse
import asyncio
import signal
import socket
import time


def wait_for_port(host, port, timeout=30.0, process=None):
    """Wait until host:port accepts connections; raise if it does not in time or the process exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process for {host}:{port} exited with {process.returncode}")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout}s")


def free_port():
    """Return a TCP port that is free on the loopback interface now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def serve_mongo(path, host, port):
    """Serve MongoDB's wire protocol over a SQLite file until SIGINT or SIGTERM."""
    from mongoeco.engines.sqlite import SQLiteEngine
    from mongoeco.wire.proxy import AsyncMongoEcoProxyServer

    server = AsyncMongoEcoProxyServer(engine=SQLiteEngine(path), host=host, port=port)
    address = await server.start()
    print(f"embedded MongoDB listening on {address.uri} (data in {path})", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await server.close()


def main(argv=None):
    """Run an embedded service named on the command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="service", required=True)
    mongo = sub.add_parser("mongo")
    mongo.add_argument("--path", required=True)
    mongo.add_argument("--host", default="127.0.0.1")
    mongo.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    if args.service == "mongo":
        asyncio.run(serve_mongo(args.path, args.host, args.port))


if __name__ == "__main__":
    main()
