"""`python -m schema compose`: compose subgraphs into schema/supergraph.graphql;
`python -m schema check`: a proposed subgraph change against the current subgraphs;
`python -m schema categories`: the data categories table of a supergraph.

    python -m schema compose                          # the subgraphs in schema/subgraphs.py
    python -m schema compose --subgraph tax=http://127.0.0.1:4002/graphql ...
    python -m schema compose --sdl tax=http://127.0.0.1:4002/graphql=tax.graphql ...
    python -m schema compose --config supergraph.yaml # rover's config format
    python -m schema compose --check                  # exit 1 if the written file is stale
    python -m schema check --subgraph tax=tax.graphql [--operations ops.json] [--format json]
    python -m schema categories                       # print the table (Markdown)
    python -m schema categories --write docs/platforms.md   # rewrite the file's marked block

Exit status: 0 composed, 1 composition errors or stale (--check), 2 bad usage or no SDL;
check: 0 passed, 1 composition errors, 2 bad usage or unreadable input, 3 breaking changes
(with --operations: operations broken or affected); categories: 0 done, 2 a supergraph or file
that cannot be read, or a file without markers.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from gateway.errors import SupergraphError
from schema.categories import (
    END_MARKER,
    START_MARKER,
    MarkerError,
    categories_markdown,
    replace_block,
)
from schema.check import EXIT_USAGE, NEW_SUBGRAPH_URL, run_check
from schema.compose import Subgraph, compose
from schema.config import read_config
from schema.operations import Operation, OperationsError, read_operations
from schema.sources import SourceError, fetch_sdl, platform_subgraphs, read_sdl_file
from schema.subgraphs import PLATFORM_SUBGRAPHS, SUPERGRAPH_PATH


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m schema")
    commands = parser.add_subparsers(dest="command", required=True)
    compose_command = commands.add_parser("compose", help="compose subgraphs into a supergraph")
    compose_command.add_argument(
        "--subgraph",
        action="append",
        default=[],
        metavar="NAME=URL",
        help="a running subgraph: its SDL is fetched with { _service { sdl } }",
    )
    compose_command.add_argument(
        "--sdl",
        action="append",
        default=[],
        metavar="NAME=URL=FILE",
        help="a subgraph whose SDL is in FILE; URL is what the gateway will call",
    )
    compose_command.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="a supergraph.yaml (rover's format) listing the subgraphs; not with --subgraph/--sdl",
    )
    compose_command.add_argument(
        "--out",
        type=Path,
        default=SUPERGRAPH_PATH,
        help="where to write the supergraph, - for stdout (default: schema/supergraph.graphql)",
    )
    compose_command.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if --out differs"
    )
    compose_command.add_argument("--quiet", action="store_true", help="do not print hints")
    check_command = commands.add_parser(
        "check", help="check a proposed subgraph change: composition, breaking changes, usage"
    )
    check_command.add_argument(
        "--subgraph",
        action="append",
        required=True,
        metavar="NAME=FILE",
        help="a proposed subgraph SDL; replaces the current subgraph NAME, or adds it",
    )
    check_command.add_argument(
        "--operations",
        action="append",
        default=[],
        type=Path,
        metavar="FILE",
        help="client operations: a persisted query manifest (.json), an export of "
        "requests (.jsonl) or documents (.graphql); makes the check usage-based",
    )
    check_command.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="the current subgraphs from a supergraph.yaml (default: schema/subgraphs.py)",
    )
    check_command.add_argument("--format", choices=("text", "json"), default="text")
    categories_command = commands.add_parser(
        "categories", help="print which fields each scope covers, as Markdown tables"
    )
    categories_command.add_argument(
        "--supergraph",
        type=Path,
        default=SUPERGRAPH_PATH,
        help="the supergraph to read (default: schema/supergraph.graphql)",
    )
    categories_command.add_argument(
        "--write",
        type=Path,
        metavar="FILE",
        help=f"rewrite what lies between {START_MARKER} and {END_MARKER} in FILE",
    )
    return parser


def _subgraphs(args: argparse.Namespace) -> list[Subgraph]:
    if args.config is not None:
        if args.subgraph or args.sdl:
            raise SourceError("--config lists the subgraphs: leave out --subgraph and --sdl")
        return read_config(args.config)
    subgraphs = []
    for item in args.subgraph:
        name, separator, url = item.partition("=")
        if not separator or not name or not url:
            raise SourceError(f"--subgraph {item!r}: expected NAME=URL")
        subgraphs.append(Subgraph(name, url, fetch_sdl(name, url)))
    for item in args.sdl:
        name, _, rest = item.partition("=")
        url, separator, file = rest.rpartition("=")
        if not separator or not name or not url or not file:
            raise SourceError(f"--sdl {item!r}: expected NAME=URL=FILE")
        subgraphs.append(Subgraph(name, url, read_sdl_file(name, Path(file))))
    if args.subgraph or args.sdl:
        return subgraphs
    return _platform_subgraphs()


def _platform_subgraphs() -> list[Subgraph]:
    if not PLATFORM_SUBGRAPHS:
        raise SourceError("schema/subgraphs.py lists no subgraphs; pass --subgraph or --sdl")
    return platform_subgraphs(PLATFORM_SUBGRAPHS)


def _check(args: argparse.Namespace) -> int:
    try:
        proposed = []
        for item in args.subgraph:
            name, separator, file = item.partition("=")
            if not separator or not name or not file:
                raise SourceError(f"--subgraph {item!r}: expected NAME=FILE")
            sdl = read_sdl_file(name, Path(file))
            proposed.append(Subgraph(name, NEW_SUBGRAPH_URL.format(name=name), sdl))
        operations: list[Operation] | None = None
        if args.operations:
            operations = [op for path in args.operations for op in read_operations(path)]
        current = _platform_subgraphs() if args.config is None else read_config(args.config)
    except (SourceError, OperationsError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    report = run_check(current, proposed, operations)
    if args.format == "json":
        sys.stdout.write(json.dumps(report.as_json(), indent=2) + "\n")
    else:
        sys.stdout.write(report.as_text())
    return report.exit_code


def _categories(args: argparse.Namespace) -> int:
    try:
        block = categories_markdown(args.supergraph.read_text(encoding="utf-8"))
        if args.write is None:
            sys.stdout.write(block)
            return 0
        document = args.write.read_text(encoding="utf-8")
        args.write.write_text(replace_block(document, block), encoding="utf-8")
    except (OSError, SupergraphError, MarkerError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"wrote the categories table into {args.write}", file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "categories":
        return _categories(args)
    if args.command == "check":
        return _check(args)
    try:
        subgraphs = _subgraphs(args)
    except SourceError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    result = compose(subgraphs)
    if not args.quiet:
        for hint in result.hints:
            print(f"hint: {hint}", file=sys.stderr)
    if result.supergraph_sdl is None:
        for failure in result.errors:
            print(f"error: {failure}", file=sys.stderr)
        print(f"composition failed with {len(result.errors)} error(s)", file=sys.stderr)
        return 1
    out: Path = args.out
    if args.check:
        current = out.read_text(encoding="utf-8") if out.exists() else None
        if current != result.supergraph_sdl:
            print(f"{out} is stale: run `make compose`", file=sys.stderr)
            return 1
        return 0
    if str(out) == "-":
        sys.stdout.write(result.supergraph_sdl)
    else:
        out.write_text(result.supergraph_sdl, encoding="utf-8")
        print(f"wrote {out} ({len(subgraphs)} subgraphs)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
