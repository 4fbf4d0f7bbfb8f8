"""`python -m launcher`: start every service, wait until healthy, print URLs, restart a service
that exits (launcher/supervisor.py), stop on Ctrl-C."""

from __future__ import annotations

import dataclasses
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import FrameType

from gateway.guide import GUIDE_PATH
from launcher import eid
from launcher.clients import (
    CLIENTS_FILE,
    DEMO_PLATFORM,
    LauncherClient,
    admin_token_environment,
    demo_redirect_uri,
    platform_clients,
    quota_environment,
    service_environment,
    write_clients_file,
)
from launcher.population import write_auth_population
from launcher.services import Service, platform_services
from launcher.settings import LauncherSettings, load_settings
from launcher.supervisor import Supervisor
from subgraphs.seed import SeedMismatch, demo_personal_id, seed_if_missing

_STOP_GRACE_SECONDS = 10.0


class _Stop(Exception):
    """Raised from a signal handler so the main loop unwinds through `finally`."""


def _on_signal(signum: int, frame: FrameType | None) -> None:
    raise _Stop(signal.Signals(signum).name)


def _start(
    service: Service, environment: dict[str, str], log_dir: os.PathLike[str]
) -> subprocess.Popen[bytes]:
    inherited = {k: v for k, v in environment.items() if not k.startswith(service.withhold)}
    # The child keeps its own copy of the log's descriptor; ours is closed, as restarts would
    # otherwise pile them up. A session of its own lets us signal the service and anything it
    # spawned as one group.
    with open(os.path.join(log_dir, f"{service.name}.log"), "ab") as log:
        return subprocess.Popen(
            service.argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**inherited, **service.environment},
            start_new_session=True,
        )


def _port_taken(host: str, port: int) -> bool:
    # Bound as uvicorn binds (SO_REUSEADDR), so a port a stopped run left in TIME_WAIT is free.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


def _check_ports(services: list[Service], settings: LauncherSettings) -> None:
    """Refuse to start on a taken port: a service there, answering its health check, would
    pass for ours (a `make run` still running, say)."""
    for service in services:
        if _port_taken(settings.host, service.port):
            raise SystemExit(
                f"error: {service.name}: port {service.port} on {settings.host} is already in "
                f"use; stop what holds it, or move every port with CITIZEN_BASE_PORT"
            )


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1.0) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _wait_healthy(
    service: Service, process: subprocess.Popen[bytes], settings: LauncherSettings
) -> None:
    deadline = time.monotonic() + settings.health_timeout
    url = service.url(settings.host, service.health_path)
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"{service.name} exited with code {process.returncode} before it was healthy; "
                f"see {settings.data_dir / 'logs' / (service.name + '.log')}"
            )
        if _healthy(url):
            return
        time.sleep(0.1)
    raise RuntimeError(f"{service.name} not healthy at {url} after {settings.health_timeout}s")


def _stop_all(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in reversed(processes):
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + _STOP_GRACE_SECONDS
    for process in processes:
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _prepare_data(settings: LauncherSettings) -> dict[str, str]:
    """Seed the embedded databases once (later runs reuse them); return the environment every
    service starts with."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    (settings.data_dir / "logs").mkdir(exist_ok=True)
    try:
        seed_if_missing(settings.data_dir, citizens=settings.citizens)
    except SeedMismatch as error:
        raise SystemExit(f"error: {error}") from None
    environment = dict(
        os.environ, CITIZEN_DATA_DIR=str(settings.data_dir.resolve()), CITIZEN_ENV=settings.env
    )
    environment.setdefault(
        "AUTH_POPULATION_FILE", str(write_auth_population(settings.data_dir).resolve())
    )
    if settings.env == "development":
        # The test sign-in, the development identity header (the gateway turns it into a token
        # from auth's development endpoint; GraphiQL starts with a seeded parent in it) and
        # query plans in responses.
        environment.setdefault("GATEWAY_ENV", "development")
        auth = next(s for s in platform_services(settings) if s.name == "auth")
        environment.setdefault("GATEWAY_DEV_TOKEN_URL", auth.url(settings.host, "/dev/token"))
        demo = demo_personal_id(settings.data_dir) or ""
        environment.setdefault(
            "GATEWAY_GRAPHIQL_DEFAULT_HEADERS", json.dumps({"x-citizen-dev-identity": demo})
        )
        environment.setdefault("GATEWAY_EXPOSE_QUERY_PLAN", "true")
    else:
        # None of that, whatever the shell says: a gateway in development mode would honour
        # the development identity header of anyone who can reach it.
        environment["GATEWAY_ENV"] = "production"
        # Production turns GraphiQL and introspection off; this profile is tried through
        # GraphiQL's sign-in, which reads the schema, so both stay on unless the shell says
        # otherwise (docs/security.md).
        environment.setdefault("GATEWAY_GRAPHIQL", "true")
        environment.setdefault("GATEWAY_INTROSPECTION", "true")
    return environment


def _register_clients(
    settings: LauncherSettings, services: list[Service], operator_file: str | None
) -> list[LauncherClient]:
    """Write the clients file of each auth server started; return the clients registered."""
    clients = platform_clients(settings)
    data_dir = settings.data_dir.resolve()
    write_clients_file(
        data_dir / CLIENTS_FILE, clients, Path(operator_file) if operator_file else None
    )
    if settings.env == "development":
        return clients
    auth = next(s for s in services if s.name == "auth")
    standin = eid.standin_client(settings, auth.url(settings.host, ""))
    write_clients_file(eid.standin_dir(settings) / eid.CLIENTS_FILE, [standin])
    return [*clients, standin]


def _with_credentials(
    services: list[Service],
    clients: list[LauncherClient],
    clients_file: Path,
    admin: dict[str, dict[str, str]],
) -> list[Service]:
    """Each service's credentials, and the gateway's the quotas the clients file registers."""
    extra = service_environment(clients)
    for name, variables in admin.items():
        extra.setdefault(name, {}).update(variables)
    for name, variables in quota_environment(clients_file).items():
        extra.setdefault(name, {}).update(variables)
    return [
        dataclasses.replace(s, environment={**s.environment, **extra.get(s.name, {})})
        for s in services
    ]


def _print_demo(settings: LauncherSettings, services: list[Service], demo: LauncherClient) -> None:
    assert demo.secret is not None, "the demo platform is a confidential client"
    by_name = {s.name: s for s in services}
    command = [
        "python3",
        "examples/platform_flow.py",
        "--auth",
        by_name["auth"].url(settings.host, ""),
        "--gateway",
        by_name["gateway"].url(settings.host),
        "--client-id",
        demo.config.client_id,
        "--client-secret",
        demo.secret,
        "--redirect-uri",
        demo_redirect_uri(settings),
    ]
    print(
        f"\nDemo platform (a third-party client; its secret is kept in "
        f"{settings.data_dir / 'secrets'}):\n"
        f"  client id      {demo.config.client_id}\n"
        f"  client secret  {demo.secret}\n"
        f"  try it         {shlex.join(command)}",
        flush=True,
    )


def main() -> int:
    settings = load_settings()
    services = platform_services(settings)
    _check_ports(services, settings)
    environment = _prepare_data(settings)
    clients = _register_clients(settings, services, environment.get("AUTH_CLIENTS_FILE"))
    admin = admin_token_environment(settings, environment.get("AUTH_ADMIN_TOKEN"))
    services = _with_credentials(
        services, clients, settings.data_dir.resolve() / CLIENTS_FILE, admin
    )
    processes: list[subprocess.Popen[bytes]] = []
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    try:
        for service in services:
            process = _start(service, environment, settings.data_dir / "logs")
            processes.append(process)
            _wait_healthy(service, process, settings)
            print(f"  {service.name:<20} healthy", flush=True)
        by_name = {s.name: s for s in services}
        # The portal first: it is what a citizen opens; then GraphiQL, what a developer opens.
        print(f"\nCitizen portal: {by_name['portal'].url(settings.host)}", flush=True)
        citizen = demo_personal_id(settings.data_dir)
        if citizen:
            print(
                f"  sign in as {citizen}: a parent of a newborn, granted the child benefit "
                "without applying",
                flush=True,
            )
        print(f"GraphiQL: {by_name['gateway'].url(settings.host)}", flush=True)
        guide = by_name["gateway"].url(settings.host, GUIDE_PATH)
        print(f"Developer guide for platforms: {guide}", flush=True)
        for service in services:
            note = f"  ({service.note})" if service.note else ""
            print(f"  {service.name:<20} {service.url(settings.host)}{note}", flush=True)
        bank = next(s for s in services if s.name == "mortgage_bank")
        print(f"\nMortgage bank (example platform): {bank.url(settings.host)}", flush=True)
        demo = next(c for c in clients if c.config.client_id == DEMO_PLATFORM)
        _print_demo(settings, services, demo)
        print("ready (Ctrl-C stops)", flush=True)
        log_dir = settings.data_dir / "logs"
        supervisor = Supervisor(
            services,
            processes,
            lambda service: _start(service, environment, log_dir),
            log_dir,
            time.monotonic(),
        )
        while True:
            supervisor.check(time.monotonic())
            time.sleep(0.2)
    except _Stop:
        return 0
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        _stop_all(processes)
        print("stopped", flush=True)


if __name__ == "__main__":
    sys.exit(main())
