"""`python -m app.platform.embedded mongo --path FILE --port N`: run an embedded service."""

import argparse
import asyncio

from .server import serve_mongo


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
