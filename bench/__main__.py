"""`python -m bench [run|compose|subgraphs|issuer|load|micro|clients|fuzz|overload|arrivals|audit|
sealed-tokens]`, `run` by default."""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
from pathlib import Path

import orjson

from bench import gateways


def _run(args: argparse.Namespace) -> int:
    from bench.runner import Config, run

    config = Config(
        gateways=args.gateways.split(","),
        concurrency=args.concurrency,
        duration=args.duration,
        warmup=args.warmup,
        generator=args.generator,
        base_port=args.base_port,
        micro=not args.no_micro,
        micro_duration=args.micro_duration,
        plans=args.plans,
        http_documents=args.http_documents,
        results_dir=args.results,
        gateway_cpus=args.gateway_cpus,
        load_cpus=args.load_cpus,
    )
    if args.smoke:
        config.duration, config.warmup, config.micro = 2.0, 0.5, False
        config.concurrency = min(config.concurrency, 4)
    summary = run(config)
    return 0 if any(run["ok"] for run in summary["gateways"]) else 1


def _compose(args: argparse.Namespace) -> int:
    from bench.runner import SUBGRAPH_PORTS, SUPERGRAPH
    from bench.subgraphs import SDL_DIR

    problem = gateways.prepare_node()
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    services = [f"{name}=http://127.0.0.1:{port}/graphql" for name, port in SUBGRAPH_PORTS.items()]
    return subprocess.run(
        ["node", "compose.mjs", str(SDL_DIR), str(SUPERGRAPH), *services],
        cwd=gateways.NODE_DIR,
        check=False,
    ).returncode


def _clients(args: argparse.Namespace) -> int:
    from bench import http_clients

    return http_clients.main(args.concurrency, args.requests)


def _subgraphs(args: argparse.Namespace) -> int:
    import uvloop

    from bench import memo_server, subgraphs

    memos = {}
    for pair in args.services:
        name, _, port = pair.partition("=")
        memos[int(port)] = memo_server.Memo(subgraphs.responder(subgraphs.build_schema(name)))

    async def serve_forever() -> None:
        await memo_server.serve(memos, args.host)
        print(f"subgraphs listening: {' '.join(args.services)}", flush=True)
        await asyncio.Event().wait()

    uvloop.run(serve_forever())
    return 0


def _load(args: argparse.Namespace) -> int:
    from bench.load import python_client_main

    python_client_main(args.url, args.body_file, args.concurrency, args.duration, args.header)
    return 0


def _issuer(args: argparse.Namespace) -> int:
    from bench import trust

    trust.serve(args.host, args.port)
    return 0


def _micro(args: argparse.Namespace) -> int:
    from bench.micro import in_process

    result = in_process(args.supergraph.read_text(), args.plans)
    print(orjson.dumps(result).decode(), flush=True)
    return 0


def _fuzz(args: argparse.Namespace) -> int:
    from bench.fuzz import main as fuzz_main

    return fuzz_main(args.topic, args.url, args.minutes, args.examples)


def _overload(args: argparse.Namespace) -> int:
    from bench.overload import OverloadConfig
    from bench.overload import main as overload_main

    config = OverloadConfig(
        factor=args.factor,
        duration=args.duration,
        capacity_duration=args.capacity_duration,
        capacity_concurrency=args.capacity_concurrency,
        warmup=args.warmup,
        max_connections=args.max_connections,
        base_port=args.base_port,
        gateway_env=dict(pair.split("=", 1) for pair in args.gateway_env),
        results_dir=args.results,
    )
    return overload_main(config)


def _arrivals(args: argparse.Namespace) -> int:
    from bench.arrivals import main as arrivals_main

    arrivals_main(
        args.url, args.body_file.read_bytes(), args.rate, args.duration, args.max_connections
    )
    return 0


def _audit(args: argparse.Namespace) -> int:
    from bench.audit import main as audit_main

    return audit_main(args.mode, args.audit_dir, args.composer, args.suite, args.port, args.details)


def _sealed_tokens(args: argparse.Namespace) -> int:
    from bench.sealed_tokens import main as sealed_main

    return sealed_main(args.requests)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    commands = parser.add_subparsers(dest="command")

    run = commands.add_parser("run", help="benchmark the gateways (default)")
    run.add_argument("--gateways", default=",".join(gateways.KEYS), help="comma-separated")
    run.add_argument("--concurrency", type=int, default=100)
    run.add_argument("--duration", type=float, default=30.0, help="measured seconds per gateway")
    run.add_argument("--warmup", type=float, default=5.0)
    run.add_argument("--generator", choices=("auto", "wrk", "python"), default="auto")
    run.add_argument("--base-port", type=int, default=4200)
    run.add_argument("--no-micro", action="store_true", help="skip the micro-benchmarks")
    run.add_argument("--micro-duration", type=float, default=3.0)
    run.add_argument("--plans", type=int, default=10_000, help="cached plans, in process")
    run.add_argument(
        "--http-documents", type=int, default=1_000, help="distinct documents per gateway"
    )
    run.add_argument("--results", type=Path, default=None, help="default bench/results/<date>")
    run.add_argument("--gateway-cpus", default=None, help="taskset list, e.g. 0")
    run.add_argument("--load-cpus", default=None, help="taskset list, e.g. 1")
    run.add_argument("--smoke", action="store_true", help="a few seconds, tiny load, no micro")
    run.set_defaults(handler=_run)

    compose = commands.add_parser("compose", help="regenerate bench/supergraph.graphql")
    compose.set_defaults(handler=_compose)

    serve = commands.add_parser("subgraphs", help="serve the four subgraphs (NAME=PORT ...)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("services", nargs="+")
    serve.set_defaults(handler=_subgraphs)

    load = commands.add_parser("load", help="the Python load generator")
    load.add_argument("url")
    load.add_argument("body_file", type=Path)
    load.add_argument("--concurrency", type=int, default=10)
    load.add_argument("--duration", type=float, default=5.0)
    load.add_argument(
        "--header", action="append", default=[], help="'Name: value', sent on every request"
    )
    load.set_defaults(handler=_load)

    issuer = commands.add_parser(
        "issuer", help="the bench token issuer and log sink (for ours-auth, ours-logged)"
    )
    issuer.add_argument("--host", default="127.0.0.1")
    issuer.add_argument("--port", type=int, required=True)
    issuer.set_defaults(handler=_issuer)

    micro = commands.add_parser("micro", help="in-process planning micro-benchmarks (ours)")
    micro.add_argument("--supergraph", type=Path, required=True)
    micro.add_argument("--plans", type=int, default=10_000)
    micro.set_defaults(handler=_micro)

    clients = commands.add_parser("clients", help="aiohttp against httpx as subgraph client")
    clients.add_argument("--concurrency", type=int, nargs="+", default=[1, 100])
    clients.add_argument("--requests", type=int, default=20_000)
    clients.set_defaults(handler=_clients)

    fuzz = commands.add_parser(
        "fuzz", help="the fuzz tests' strategies against a gateway, for minutes"
    )
    fuzz.add_argument("--minutes", type=float, default=10.0)
    fuzz.add_argument(
        "--topic", default="abstract_types", help="the tests/gateway/fixtures topic to start"
    )
    fuzz.add_argument("--url", default=None, help="a running gateway's /graphql instead")
    fuzz.add_argument("--examples", type=int, default=500, help="examples per property per round")
    fuzz.set_defaults(handler=_fuzz)

    overload = commands.add_parser(
        "overload", help="our gateway at 4x its measured capacity, open loop"
    )
    overload.add_argument("--factor", type=float, default=4.0, help="times the capacity")
    overload.add_argument("--duration", type=float, default=60.0, help="seconds of overload")
    overload.add_argument("--capacity-duration", type=float, default=10.0)
    overload.add_argument("--capacity-concurrency", type=int, default=50)
    overload.add_argument("--warmup", type=float, default=3.0)
    overload.add_argument("--max-connections", type=int, default=4000)
    overload.add_argument("--base-port", type=int, default=4300)
    overload.add_argument(
        "--gateway-env",
        action="append",
        default=[],
        metavar="GATEWAY_NAME=VALUE",
        help="a setting for the gateway, e.g. GATEWAY_MAX_IN_FLIGHT_REQUESTS=64",
    )
    overload.add_argument("--results", type=Path, default=None)
    overload.set_defaults(handler=_overload)

    arrivals = commands.add_parser("arrivals", help="the open-loop load generator")
    arrivals.add_argument("url")
    arrivals.add_argument("body_file", type=Path)
    arrivals.add_argument("--rate", type=float, required=True, help="requests per second")
    arrivals.add_argument("--duration", type=float, default=10.0)
    arrivals.add_argument("--max-connections", type=int, default=4000)
    arrivals.set_defaults(handler=_arrivals)

    audit = commands.add_parser(
        "audit", help="the federation gateway audit against our composer or our gateway"
    )
    audit.add_argument(
        "mode",
        choices=("compose", "gateway"),
        help="compose: ours against @apollo/composition per suite; gateway: run the test cases",
    )
    audit.add_argument(
        "--audit-dir",
        type=Path,
        required=True,
        help="a checkout of graphql-hive/federation-gateway-audit, installed with npm ci",
    )
    audit.add_argument(
        "--composer",
        choices=("ours", "apollo"),
        default="ours",
        help="gateway: whose supergraphs the gateway serves",
    )
    audit.add_argument("--suite", action="append", default=[], help="only this suite (repeat)")
    audit.add_argument(
        "--port", type=int, default=4290, help="the audit's server; our gateway takes the next"
    )
    audit.add_argument(
        "--details", action="store_true", help="print diffs, refusals and failing cases"
    )
    audit.set_defaults(handler=_audit)

    sealed = commands.add_parser(
        "sealed-tokens", help="the gateway's token path: plain against sealed access tokens"
    )
    sealed.add_argument("--requests", type=int, default=5000)
    sealed.set_defaults(handler=_sealed_tokens)

    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0].startswith("-"):
        argv = ["run", *argv]
    args = parser.parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
