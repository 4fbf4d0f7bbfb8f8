"""`python -m portal --host H --port P`: run the citizen portal (settings: `PORTAL_*`)."""

from __future__ import annotations

import argparse
import logging
import sys

import uvicorn

from portal.app import create_app
from portal.settings import load_settings


class PathsOnly(logging.Filter):
    """Access-log lines keep the path and drop the query: the sign-in callback's query holds
    an authorization code, and other queries (the access log's filters) say what a citizen
    looked for."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) >= 3:
            client, method, path, *rest = record.args
            record.args = (client, method, str(path).split("?", 1)[0], *rest)
        return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m portal", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4004)
    args = parser.parse_args(argv)
    settings = load_settings()
    logging.getLogger("uvicorn.access").addFilter(PathsOnly())
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info")
    return 0


if __name__ == "__main__":
    sys.exit(main())
