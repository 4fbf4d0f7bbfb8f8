"""`python -m subgraphs.<agency> --host H --port P`: one agency, one process, one uvicorn server."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

import uvicorn
from starlette.applications import Starlette

from subgraphs.common.settings import AgencySettings, ConfigurationError, load_settings


def main(
    agency: str,
    build_app: Callable[[AgencySettings], Starlette],
    argv: Sequence[str] | None = None,
) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m subgraphs.{agency}")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    try:
        app = build_app(load_settings())
    except ConfigurationError as error:
        print(f"{agency}: {error}", file=sys.stderr)
        return 2
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")
    return 0
