"""`python -m app.platform.embedded mongo --path FILE --port N`: run an embedded service."""

import argparse
import asyncio
import os

from .server import serve_mongo


def main(argv=None):
    """Run an embedded service named on the command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="service", required=True)
    mongo = sub.add_parser("mongo")
    mongo.add_argument("--path", required=True)
    mongo.add_argument("--host", default="127.0.0.1")
    mongo.add_argument("--port", type=int, required=True)
    mongo.add_argument("--aggregation-limit", type=int,
                       default=int(os.environ.get("MONGODB_EMBEDDED_AGGREGATION_LIMIT") or 0),
                       help="documents a count or aggregation may hold in memory (0: no limit; default "
                            "MONGODB_EMBEDDED_AGGREGATION_LIMIT)")
    args = parser.parse_args(argv)
    if args.service == "mongo":
        asyncio.run(serve_mongo(args.path, args.host, args.port, args.aggregation_limit or None))
