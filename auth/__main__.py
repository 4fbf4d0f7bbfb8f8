"""`python -m auth --host H --port P`: run the authorization server.
`python -m auth verify-log`: check the access log's hash chain (exit 0 intact, 1 broken)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

import uvicorn
from sqlalchemy.exc import SQLAlchemyError

from auth.access_log import AccessLog, ChainVerification
from auth.app import create_app
from auth.clients import ClientConfigError
from auth.db import create_engine
from auth.settings import AuthSettings, load_settings
from subgraphs.common.settings import ConfigurationError


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "verify-log":
        return _verify_log(args[1:])
    return _serve(args)


def _serve(argv: list[str]) -> int:
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


def _verify_log(argv: list[str]) -> int:
    argparse.ArgumentParser(
        prog="python -m auth verify-log",
        description="Recompute every link of the access log's hash chain, in order, in the "
        "database the AUTH_* settings name; name the first broken record.",
    ).parse_args(argv)
    settings = load_settings()
    try:
        result = asyncio.run(_verify(settings))
    except SQLAlchemyError as error:
        print(f"error: cannot read the access log: {error}", file=sys.stderr)
        return 2
    if result.ok:
        print(f"access log intact: {result.entries} records, every link verified")
        return 0
    print(
        f"access log broken at record seq {result.first_bad_seq} (id {result.first_bad_id}): "
        f"{result.reason}; the {result.entries} records before it verify"
    )
    return 1


async def _verify(settings: AuthSettings) -> ChainVerification:
    # Not open_database: checking the log must not migrate (write to) the database.
    engine = create_engine(settings.resolved_database_url(), settings.database_schema)
    try:
        return await AccessLog(engine).verify_chain()
    finally:
        await engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
