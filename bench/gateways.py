"""The gateways under test: how each is installed, started, probed and stopped.

Ours runs from this checkout (`python -m gateway`), in three variants: `ours` without an
issuer (every caller anonymous), `ours-auth` behind the bench issuer on a supergraph with
authorization requirements, every request carrying a token (bench/trust.py), and
`ours-logged`, the same recording every response's disclosures at the issuer's log sink.
The two Node gateways are installed from the npm registry into bench/.cache/node (gitignored) from
bench/node/package.json and its lock file, and run from there with NODE_ENV=production, one
process each, like ours.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bench.load import taskset
from bench.trust import Trust

BENCH_DIR = Path(__file__).resolve().parent
NODE_SOURCE = BENCH_DIR / "node"
CACHE_DIR = BENCH_DIR / ".cache"
NODE_DIR = CACHE_DIR / "node"
OURS = ("ours", "ours-auth", "ours-logged")
_LABELS = {
    "ours": "ours (Python)",
    "ours-auth": "ours, token + authorization",
    "ours-logged": "ours, token + authorization + disclosure log",
}
KEYS = (*OURS, "apollo", "hive")
_TYPENAME = b'{"query":"{ __typename }"}'


class GatewayFailure(Exception):
    """A gateway could not be installed, did not start, or answered wrongly."""


@dataclass(frozen=True)
class Gateway:
    key: str
    label: str
    argv: tuple[str, ...]
    port: int
    host: str = "127.0.0.1"
    health_path: str | None = None  # GET answering 200 when ready; None: POST { __typename }
    env: dict[str, str] = field(default_factory=dict)
    unavailable: str | None = None  # why it cannot run on this machine
    token: str | None = None  # sent as a Bearer token on every request when set

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/graphql"

    @property
    def request_headers(self) -> dict[str, str]:
        return {} if self.token is None else {"authorization": f"Bearer {self.token}"}


def _node_version(package: str) -> str:
    try:
        manifest = json.loads((NODE_DIR / "node_modules" / package / "package.json").read_text())
        return str(manifest["version"])
    except (OSError, ValueError, KeyError):
        return "?"


def prepare_node() -> str | None:
    """Install the Node packages into the cache once per lock file; the reason when we can't."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        return "node and npm are not installed"
    NODE_DIR.mkdir(parents=True, exist_ok=True)
    for source in NODE_SOURCE.iterdir():
        if source.is_file():
            shutil.copyfile(source, NODE_DIR / source.name)
    lock = NODE_DIR / "package-lock.json"
    stamp = NODE_DIR / ".installed"
    digest = hashlib.sha256(lock.read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest and (NODE_DIR / "node_modules").is_dir():
        return None
    print(f"installing the Node gateways into {NODE_DIR} (npm ci, about a minute)", flush=True)
    done = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=NODE_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        return f"npm ci failed: {done.stderr.strip()[-500:]}"
    stamp.write_text(digest)
    return None


def gateways(
    keys: list[str],
    supergraph: Path,
    host: str,
    first_port: int,
    node_problem: str | None,
    trust: Trust | None = None,
) -> list[Gateway]:
    """The requested gateways in `keys` order, each on its own port; `ours-auth` and
    `ours-logged` need `trust` (the bench issuer, its token and the secured supergraph)."""
    node = shutil.which("node") or "node"
    node_env = {"NODE_ENV": "production", "LOG_LEVEL": "warn"}
    made: list[Gateway] = []
    for offset, key in enumerate(keys):
        port = first_port + offset
        if key in OURS:
            served, env, token = supergraph, {}, None
            if key != "ours":
                if trust is None:
                    raise ValueError(f"{key} needs the bench issuer (trust)")
                env = trust.logging_env() if key == "ours-logged" else trust.gateway_env()
                served, token = trust.supergraph, trust.token
            # The runs compare gateways at 100 connections, and the others shed nothing: ours
            # must not either (its shedding is measured by `python -m bench overload`).
            env = {**env, "GATEWAY_MAX_IN_FLIGHT_REQUESTS": "1000"}
            made.append(
                Gateway(
                    key=key,
                    label=_LABELS[key],
                    argv=(
                        sys.executable,
                        "-m",
                        "gateway",
                        "--supergraph",
                        str(served),
                        "--host",
                        host,
                        "--port",
                        str(port),
                    ),
                    port=port,
                    host=host,
                    health_path="/health",
                    env=env,
                    token=token,
                )
            )
        elif key == "apollo":
            made.append(
                Gateway(
                    key=key,
                    label=f"@apollo/gateway {_node_version('@apollo/gateway')}",
                    argv=(
                        node,
                        str(NODE_DIR / "apollo-gateway.mjs"),
                        str(supergraph),
                        host,
                        str(port),
                    ),
                    port=port,
                    host=host,
                    env=node_env,
                    unavailable=node_problem,
                )
            )
        elif key == "hive":
            bin_js = NODE_DIR / "node_modules" / "@graphql-hive" / "gateway" / "dist" / "bin.js"
            made.append(
                Gateway(
                    key=key,
                    label=f"@graphql-hive/gateway {_node_version('@graphql-hive/gateway')}",
                    argv=(
                        node,
                        str(bin_js),
                        "supergraph",
                        str(supergraph),
                        "--host",
                        host,
                        "--port",
                        str(port),
                        "--fork",
                        "1",
                    ),
                    port=port,
                    host=host,
                    env=node_env,
                    unavailable=node_problem,
                )
            )
        else:
            raise ValueError(f"unknown gateway {key!r}; known: {', '.join(KEYS)}")
    return made


def port_in_use(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex((host, port)) == 0


def start(gateway: Gateway, log_path: Path, cpus: str | None) -> subprocess.Popen[bytes]:
    if gateway.unavailable:
        raise GatewayFailure(gateway.unavailable)
    if port_in_use(gateway.host, gateway.port):
        raise GatewayFailure(f"port {gateway.port} is already in use")
    log = open(log_path, "wb")  # noqa: SIM115 - the child owns it
    try:
        return subprocess.Popen(
            [*taskset(cpus), *gateway.argv],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(os.environ, **gateway.env),
            start_new_session=True,
            cwd=BENCH_DIR.parent,
        )
    except OSError as error:
        raise GatewayFailure(f"could not start: {error}") from None
    finally:
        log.close()


def post(
    url: str, body: bytes, timeout: float = 30.0, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    request = urllib.request.Request(
        url,
        data=body,
        headers={
            "content-type": "application/json",
            "accept": "application/json",
            **(headers or {}),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status), response.read()
    except urllib.error.HTTPError as error:
        return int(error.code), error.read()


def _ready(gateway: Gateway) -> bool:
    base = f"http://{gateway.host}:{gateway.port}"
    try:
        if gateway.health_path is not None:
            with urllib.request.urlopen(base + gateway.health_path, timeout=1.0) as response:
                return bool(response.status == 200)
        status, body = post(gateway.url, _TYPENAME, timeout=1.0)
        return status == 200 and b'"Query"' in body
    except (urllib.error.URLError, OSError):
        return False


def _log_tail(log_path: Path, lines: int = 15) -> str:
    try:
        text = log_path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return "\n".join("    " + line for line in text[-lines:])


def wait_ready(
    gateway: Gateway, process: subprocess.Popen[bytes], log_path: Path, timeout: float
) -> float:
    """Seconds until ready; GatewayFailure with the log's tail when it exits or times out."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise GatewayFailure(
                f"exited with code {process.returncode} before it was ready; "
                f"{log_path}:\n{_log_tail(log_path)}"
            )
        if _ready(gateway):
            return time.monotonic() - started
        time.sleep(0.1)
    raise GatewayFailure(f"not ready after {timeout:.0f}s; {log_path}:\n{_log_tail(log_path)}")


def stop(process: subprocess.Popen[bytes], grace: float = 5.0) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
