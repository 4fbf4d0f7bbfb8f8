"""`python -m examples.mortgage_bank --host H --port P`: run the bank (settings: BANK_*)."""

from __future__ import annotations

import argparse
import logging

import uvicorn

from examples.mortgage_bank.app import create_app
from examples.mortgage_bank.settings import BankSettings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4005)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = BankSettings()
    public_url = settings.public_url or f"http://{args.host}:{args.port}"
    # No access log: the callback's query string carries an authorization code.
    uvicorn.run(create_app(settings, public_url), host=args.host, port=args.port, access_log=False)


if __name__ == "__main__":
    main()
