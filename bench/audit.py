"""The federation gateway audit (graphql-hive/federation-gateway-audit) run against our composer
and our gateway: `python -m bench audit compose|gateway --audit-dir DIR`.

    audit server (node, DIR): /ids, /<suite>/subgraphs, /<suite>/tests
      ├─ compose: each suite's subgraphs → ours and @apollo/composition → equal, differs, refused
      └─ gateway: supergraph (ours or Apollo's) → `python -m gateway` → each case → pass or fail

DIR is a checkout the user cloned and installed with `npm ci`; nothing else is fetched at run
time except @apollo/composition into the npm cache, as the composition tests do.
"""

from __future__ import annotations

import difflib
import os
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.apollo_composition import ApolloCompose, apollo_composer, normalise
from schema.compose import Subgraph, compose

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
# The audit's server calls Promise.withResolvers, which Node has only from 22 on.
_PROMISE_WITH_RESOLVERS = (
    "Promise.withResolvers ??= function () { let resolve, reject;"
    " const promise = new Promise((a, b) => { resolve = a; reject = b; });"
    " return { promise, resolve, reject }; };"
)


@dataclass(frozen=True)
class Case:
    query: str
    expected: dict[str, Any]


@dataclass(frozen=True)
class Suite:
    id: str
    subgraphs: list[Subgraph]
    cases: list[Case]


@dataclass(frozen=True)
class Composed:
    """One composer's answer for a suite: a supergraph, or the error codes and messages."""

    supergraph: str | None
    errors: list[tuple[str, str]] = field(default_factory=list)

    @property
    def codes(self) -> list[str]:
        return sorted({code for code, _ in self.errors})


class AuditError(Exception):
    """The audit could not be run (not its cases failing): a message for the user."""


def _node_version() -> int:
    try:
        out = subprocess.run(["node", "--version"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as error:
        raise AuditError(f"node is needed to serve the audit's subgraphs: {error}") from error
    return int(out.stdout.strip().lstrip("v").split(".")[0])


@contextmanager
def audit_server(audit_dir: Path, port: int) -> Iterator[str]:
    """The audit's own server (every suite's subgraphs, tests and Apollo's supergraph) on
    `port`; yields its base URL."""
    tsx = audit_dir / "node_modules" / "tsx"
    if not (audit_dir / "src" / "cli.ts").is_file() or not tsx.is_dir():
        raise AuditError(
            f"{audit_dir} is not an installed checkout of graphql-hive/federation-gateway-audit"
            " (src/cli.ts and node_modules/tsx are needed: run `npm ci` there)"
        )
    argv = ["node"]
    if _node_version() < 22:
        argv += ["--import", "data:text/javascript," + urllib.parse.quote(_PROMISE_WITH_RESOLVERS)]
    argv += ["--import", "tsx", "src/cli.ts", "serve", "--port", str(port)]
    base = f"http://{HOST}:{port}"
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(argv, cwd=audit_dir, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_until_up(f"{base}/_health", process, log, timeout=120)
            yield base
        finally:
            _stop(process)


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            output = log.read().decode(errors="replace")[-2000:]
            raise AuditError(f"{url}: the process serving it exited:\n{output}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise AuditError(f"{url} did not answer within {timeout:.0f} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def load_suites(base: str, only: Sequence[str] = ()) -> list[Suite]:
    with httpx.Client(base_url=base, timeout=30) as client:
        ids: list[str] = client.get("/ids").raise_for_status().json()
        unknown = sorted(set(only) - set(ids))
        if unknown:
            raise AuditError(f"no such suite: {', '.join(unknown)}")
        suites = []
        for suite_id in ids:
            if only and suite_id not in only:
                continue
            subgraphs = client.get(f"/{suite_id}/subgraphs").raise_for_status().json()
            cases = client.get(f"/{suite_id}/tests").raise_for_status().json()
            suites.append(
                Suite(
                    suite_id,
                    [Subgraph(s["name"], s["url"], s["sdl"]) for s in subgraphs],
                    [Case(c["query"], c["expected"]) for c in cases],
                )
            )
        return suites


def compose_ours(suite: Suite) -> Composed:
    result = compose(suite.subgraphs)
    return Composed(result.supergraph_sdl, [(e.code, str(e)) for e in result.errors])


def compose_apollo(apollo: ApolloCompose, suite: Suite) -> Composed:
    answer = apollo(suite.subgraphs)
    errors = [(e.get("code") or "?", e.get("message", "")) for e in answer.get("errors", ())]
    return Composed(answer.get("supergraph"), errors)


def compare(ours: Composed, theirs: Composed) -> tuple[str, list[str]]:
    """The verdict for one suite and the lines that explain it."""
    if ours.supergraph is None and theirs.supergraph is None:
        same = ours.codes == theirs.codes
        verdict = "both refuse" + ("" if same else f": ours {ours.codes}, Apollo {theirs.codes}")
        return verdict, [m for _, m in ours.errors]
    if theirs.supergraph is None:
        return f"Apollo refuses with {', '.join(theirs.codes)}", [m for _, m in theirs.errors]
    if ours.supergraph is None:
        return f"we refuse with {', '.join(ours.codes)}", [m for _, m in ours.errors]
    expected, got = normalise(theirs.supergraph), normalise(ours.supergraph)
    if expected == got:
        return "equal", []
    diff = list(difflib.unified_diff(expected, got, "apollo", "ours", lineterm="", n=0))
    changed = sum(1 for line in diff[2:] if line[:1] in "+-")
    return f"differs ({changed} lines)", diff[2:]


def run_compose(suites: list[Suite], apollo: ApolloCompose, details: bool) -> int:
    rows, equal = [], 0
    for suite in suites:
        verdict, explanation = compare(compose_ours(suite), compose_apollo(apollo, suite))
        equal += verdict == "equal"
        rows.append((suite.id, verdict))
        if details and explanation:
            print(f"--- {suite.id}: {verdict}")
            print("\n".join(f"    {line}" for line in explanation))
    _table(("suite", "ours against @apollo/composition"), rows)
    print(f"\n{equal} of {len(suites)} suites compose to Apollo's supergraph")
    return 0 if equal == len(suites) else 1


@contextmanager
def our_gateway(supergraph: str, port: int) -> Iterator[str]:
    """`python -m gateway` serving `supergraph` on `port`; yields its /graphql URL."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    with tempfile.TemporaryDirectory() as scratch, tempfile.TemporaryFile() as log:
        path = Path(scratch) / "supergraph.graphql"
        path.write_text(supergraph)
        argv = [sys.executable, "-m", "gateway", "--supergraph", str(path)]
        argv += ["--host", HOST, "--port", str(port)]
        # From a scratch directory: the gateway reads a `.env` where it starts.
        process = subprocess.Popen(
            argv, cwd=scratch, env={**env, "PYTHONPATH": str(ROOT)}, stdout=log, stderr=log
        )
        try:
            _wait_until_up(f"http://{HOST}:{port}/health", process, log, timeout=60)
            yield f"http://{HOST}:{port}/graphql"
        finally:
            _stop(process)


def check_case(client: httpx.Client, url: str, case: Case) -> str | None:
    """None when the gateway answers as the audit expects (data equal; errors present or not
    when the case says), else what it answered. The audit's own comparison, in Python."""
    try:
        answer = client.post(url, json={"query": case.query}).json()
    except (httpx.HTTPError, ValueError) as error:
        return f"no JSON answer: {error}"
    errors_matter = isinstance(case.expected.get("errors"), bool)
    received = {
        "data": answer.get("data"),
        "errors": bool(answer.get("errors")) if errors_matter else None,
    }
    expected = {
        "data": case.expected.get("data"),
        "errors": case.expected.get("errors") if errors_matter else None,
    }
    return None if received == expected else f"expected {expected}, got {answer}"


def run_gateway(
    suites: list[Suite], composer: str, apollo: ApolloCompose | None, port: int, details: bool
) -> int:
    rows, passed, total = [], 0, 0
    for suite in suites:
        composed = compose_ours(suite) if apollo is None else compose_apollo(apollo, suite)
        total += len(suite.cases)
        if composed.supergraph is None:
            rows.append((suite.id, f"0/{len(suite.cases)}", f"not composed: {composed.codes}"))
            continue
        failures = []
        with our_gateway(composed.supergraph, port) as url, httpx.Client(timeout=30) as client:
            for index, case in enumerate(suite.cases):
                problem = check_case(client, url, case)
                if problem is not None:
                    failures.append(index)
                    if details:
                        print(f"--- {suite.id}_{index}:{case.query}\n    {problem}")
        passed += len(suite.cases) - len(failures)
        note = f"failing: {', '.join(map(str, failures))}" if failures else ""
        rows.append((suite.id, f"{len(suite.cases) - len(failures)}/{len(suite.cases)}", note))
    whose = "our composer" if composer == "ours" else "@apollo/composition"
    _table(("suite", "cases passed", "note"), rows)
    print(f"\n{passed} of {total} cases pass with supergraphs from {whose}")
    return 0 if passed == total else 1


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> None:
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")


def main(
    mode: str,
    audit_dir: Path,
    composer: str = "ours",
    suites: Sequence[str] = (),
    port: int = 4290,
    details: bool = False,
) -> int:
    try:
        apollo: ApolloCompose | None = None
        if mode == "compose" or composer == "apollo":
            made = apollo_composer()
            if isinstance(made, str):
                raise AuditError(made)
            apollo = made
        with audit_server(audit_dir.resolve(), port) as base:
            loaded = load_suites(base, suites)
            if mode == "compose":
                assert apollo is not None
                return run_compose(loaded, apollo, details)
            return run_gateway(loaded, composer, apollo, port + 1, details)
    except AuditError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
