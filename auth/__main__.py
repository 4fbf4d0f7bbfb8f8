"""`python -m auth --host H --port P`: run the authorization server."""

from __future__ import annotations

import argparse
import os
import sys

import uvicorn

from auth.app import create_app
from auth.clients import ClientConfigError
from auth.settings import load_settings
from subgraphs.common.settings import ConfigurationError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m auth", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4001)
    args = parser.parse_args(argv)
    settings = load_settings()
    if "AUTH_ISSUER" not in os.environ:
        # Unconfigured, the issuer is where this process listens.
        settings = settings.model_copy(update={"issuer": f"http://{args.host}:{args.port}"})
    try:
        app = create_app(settings)
        uvicorn.run(app, host=args.host, port=args.port, log_level="info", lifespan="on")
    except (ClientConfigError, ConfigurationError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
