"""`python -m launcher` end to end: every service up on a port range the test chose, a query
joined across agencies through the gateway, Ctrl-C, exit 0 and nothing left running; and the
refusals: a taken port, a service that dies while starting."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import shlex
import signal
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import psutil
import pytest

from subgraphs.seed import demo_personal_id
from tests.launched import HOST, ROOT, Launcher, free_base_port, processes_of

pytestmark = pytest.mark.slow

READY_SECONDS = 90
QUERY = "{ me { name { given } lifeEvents { kind } } }"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Seeded by the first launch, reused by the next (the seed checks it matches)."""
    return tmp_path_factory.mktemp("citizen-data").resolve()


@pytest.fixture
def launch(data_dir: Path) -> Iterator[Callable[..., Launcher]]:
    started: list[Launcher] = []

    def start(base_port: int, **environment: str) -> Launcher:
        started.append(Launcher(data_dir, base_port, **environment))
        return started[-1]

    yield start
    for launcher in started:
        launcher.stop()
    for process in processes_of(data_dir):
        process.kill()


def test_start_query_and_stop_with_ctrl_c(launch: Callable[..., Launcher], data_dir: Path) -> None:
    base = free_base_port()
    launcher = launch(base)
    launcher.wait_for_line("ready (Ctrl-C stops)", READY_SECONDS)
    gateway = launcher.service("gateway")
    printed = "".join(launcher.lines)
    # The portal comes first: it is what a citizen opens; then GraphiQL, for a developer.
    assert (
        f"\nCitizen portal: http://{HOST}:{base + 4}/\n"
        f"  sign in as {demo_personal_id(data_dir)}: a parent of a newborn, granted the child "
        f"benefit without applying\nGraphiQL: http://{HOST}:{base}/graphql\n" in printed
    )
    first_url = re.search(r"^  population +http", printed, re.M)
    assert first_url is not None and printed.index("GraphiQL:") < first_url.start()
    for service in launcher.services:
        assert re.search(rf"^  {service.name} +{re.escape(service.url(HOST))}$", printed, re.M)
        health = httpx.get(service.url(HOST, service.health_path), timeout=10)
        assert health.status_code == 200, service.name

    # The supergraph names ports 4101...; these answers come from this run's own services.
    # Without credentials nobody is signed in; the development identity header (what
    # GraphiQL starts with) signs in a seeded parent through the auth server's tokens.
    anonymous = httpx.post(gateway.url(HOST), json={"query": "{ me { personalId } }"}, timeout=30)
    assert anonymous.json()["data"]["me"] is None
    demo = demo_personal_id(data_dir)
    assert demo is not None
    response = httpx.post(
        gateway.url(HOST),
        json={"query": QUERY},
        headers={"x-query-plan": "true", "x-citizen-dev-identity": demo},
        timeout=30,
    )
    assert response.status_code == 200
    body = response.json()
    assert "errors" not in body, body["errors"]
    me = body["data"]["me"]
    assert me["name"]["given"] and me["lifeEvents"]
    assert all(isinstance(event["kind"], str) for event in me["lifeEvents"])
    plan = json.dumps(body["extensions"]["queryPlan"]["json"])
    asked = set(re.findall(r'"serviceName": "(\w+)"', plan))
    assert {"population", "life_events"} < asked and len(asked) >= 4, asked

    walk_the_demo_platform_example(launcher, demo)
    stop_with_ctrl_c(launcher, data_dir)


def stop_with_ctrl_c(launcher: Launcher, data_dir: Path) -> None:
    children = psutil.Process(launcher.process.pid).children(recursive=True)
    assert len(children) >= len(launcher.services)
    assert {c.pid for c in children} <= {p.pid for p in processes_of(data_dir)}
    launcher.process.send_signal(signal.SIGINT)
    code, output = launcher.finish()
    assert code == 0, output
    assert output.rstrip().endswith("stopped")
    _, alive = psutil.wait_procs(children, timeout=5)
    assert not alive
    assert not processes_of(data_dir)


def printed_demo_platform(launcher: Launcher) -> tuple[str, str, list[str]]:
    """The demo platform's client id, secret and example command, as the launcher printed."""
    printed = "".join(launcher.lines)
    client_id = re.search(r"^  client id +(\S+)$", printed, re.M)
    secret = re.search(r"^  client secret +(\S+)$", printed, re.M)
    command = re.search(r"^  try it +(.+)$", printed, re.M)
    assert client_id and secret and command, printed
    return client_id.group(1), secret.group(1), shlex.split(command.group(1))


def follow(http: httpx.Client, response: httpx.Response) -> httpx.Response:
    assert response.status_code in (302, 303), response.text
    return http.get(urljoin(str(response.url), response.headers["location"]))


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def sign_in_as(http: httpx.Client, at_sign_in: httpx.Response, personal_id: str) -> httpx.Response:
    """At a test sign-in page (ours in development, the stand-in eID's in production): pick a
    person; returns the redirect that follows."""
    assert at_sign_in.status_code == 303 and "/signin/test?" in at_sign_in.headers["location"]
    page = follow(http, at_sign_in)
    assert page.status_code == 200 and "Sign in as a test citizen" in page.text
    signed_in = http.post(
        str(page.url).split("?")[0],
        data={"personal_id": personal_id, "return_to": query_of(str(page.url))["return_to"]},
    )
    assert signed_in.status_code == 303, signed_in.text
    return signed_in


def approve(http: httpx.Client, consent: httpx.Response, categories: list[str]) -> str:
    """Tick `categories` on the consent page and allow; the redirect URI the code goes to."""
    assert consent.status_code == 200 and "Demo platform" in consent.text, consent.text
    request_id = re.search(r'name="request_id" value="([^"]+)"', consent.text)
    assert request_id
    answer = http.post(
        str(consent.url).split("?")[0],
        data={"request_id": request_id.group(1), "decision": "approve", "category": categories},
    )
    assert answer.status_code == 303, answer.text
    return str(answer.headers["location"])


def walk_the_demo_platform_example(launcher: Launcher, person: str) -> None:
    """The command the launcher printed, run as printed: the citizen (here httpx) signs in at
    the test sign-in and allows what it asks; the example gets its token and reads them."""
    client_id, _, command = printed_demo_platform(launcher)
    assert command[:2] == ["python3", "examples/platform_flow.py"] and client_id in command
    example = subprocess.Popen(
        [sys.executable, *command[1:], "--no-browser", "--timeout", "60"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert example.stdout is not None
        first = example.stdout.readline()
        assert first.startswith("authorization URL: "), first
        with httpx.Client(timeout=30) as http:
            at_sign_in = http.get(first.removeprefix("authorization URL: ").strip())
            consent = follow(http, sign_in_as(http, at_sign_in, person))
            back = http.get(approve(http, consent, ["identity", "income"]))
            assert back.status_code == 200, back.text
        output, _ = example.communicate(timeout=60)
    finally:
        if example.poll() is None:
            example.kill()
    assert example.returncode == 0, output
    answer = json.loads(output.split("gateway answered:\n", 1)[1])
    assert "errors" not in answer, answer
    # The example asks for nullable fields only; the name is the signed-in person's.
    given, family = _name(launcher.data_dir, person)
    assert answer["data"]["me"]["name"] == {"given": given, "family": family}
    assert answer["data"]["me"]["income"] is not None


def _name(data_dir: Path, person: str) -> tuple[str, str]:
    with sqlite3.connect(data_dir / "population.sqlite3") as connection:
        given, family = connection.execute(
            "SELECT given_name, family_name FROM person WHERE personal_id = ?", (person,)
        ).fetchone()
    return str(given), str(family)


def test_the_production_profile_signs_in_only_through_the_eid(
    launch: Callable[..., Launcher], data_dir: Path
) -> None:
    """`CITIZEN_ENV=production make run`: no development identity, test sign-in or query
    plans; a stand-in eID, and a platform's whole code flow through it, ending in a token the
    gateway honours."""
    base = free_base_port()
    launcher = launch(base, CITIZEN_ENV="production")
    launcher.wait_for_line("ready (Ctrl-C stops)", READY_SECONDS)
    printed = "".join(launcher.lines)
    auth, eid, gateway = (launcher.service(name) for name in ("auth", "eid", "gateway"))
    assert eid.port == base + 2
    assert re.search(
        rf"^  eid +{re.escape(eid.url(HOST))}  \(a stand-in for the national eID: .+\)$",
        printed,
        re.M,
    ), printed
    assert f"GraphiQL: {gateway.url(HOST)}\n" in printed

    assert httpx.get(auth.url(HOST, "/signin/test"), timeout=10).status_code == 404
    assert httpx.post(auth.url(HOST, "/dev/token"), timeout=10).status_code == 404
    graphiql = httpx.get(gateway.url(HOST), headers={"accept": "text/html"}, timeout=10)
    assert graphiql.status_code == 200 and "GraphiQL" in graphiql.text
    assert "x-citizen-dev-identity" not in graphiql.text
    person = demo_personal_id(data_dir)
    assert person is not None
    ignored = httpx.post(
        gateway.url(HOST),
        json={"query": "{ me { personalId } }"},
        headers={"x-citizen-dev-identity": person, "x-query-plan": "true"},
        timeout=30,
    )
    # Anonymous, as without the header; and no query plan.
    assert ignored.json()["data"] == {"me": None}
    assert ignored.json()["errors"][0]["extensions"]["code"] == "UNAUTHORIZED_FIELD_OR_TYPE"
    assert "extensions" not in ignored.json()

    client_id, secret, _ = printed_demo_platform(launcher)
    redirect_uri = f"http://{HOST}:{base + 3}/callback"
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    with httpx.Client(timeout=30) as http:
        # One cookie jar for both auth servers, as a browser on 127.0.0.1 has.
        first = http.get(
            auth.url(HOST, "/authorize"),
            params={
                "response_type": "code",
                "client_id": client_id,
                "redirect_uri": redirect_uri,
                "state": "demo-state",
                "code_challenge": base64.urlsafe_b64encode(digest).rstrip(b"=").decode(),
                "code_challenge_method": "S256",
                "authorization_details": json.dumps(
                    [{"type": "citizen_data", "datatypes": ["identity"], "actions": ["read"]}]
                ),
            },
        )
        to_eid = follow(http, first)
        assert to_eid.headers["location"].startswith(eid.url(HOST, "/authorize?"))
        at_eid = follow(http, to_eid)
        back = follow(http, sign_in_as(http, at_eid, person))
        assert back.headers["location"].startswith(auth.url(HOST, "/signin/eid/callback?"))
        consent = follow(http, follow(http, back))
        code = query_of(approve(http, consent, ["identity"]))["code"]
        token = http.post(
            auth.url(HOST, "/token"),
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": verifier,
            },
            auth=(client_id, secret),
        )
    assert token.status_code == 200, token.text
    access_token = token.json()["access_token"]
    me = httpx.post(
        gateway.url(HOST),
        json={"query": "{ me { personalId } }"},
        headers={"authorization": f"Bearer {access_token}"},
        timeout=30,
    )
    assert me.json() == {"data": {"me": {"personalId": person}}}
    stop_with_ctrl_c(launcher, data_dir)


def test_a_taken_port_is_refused_before_anything_starts(
    launch: Callable[..., Launcher], data_dir: Path
) -> None:
    base = free_base_port()
    with socket.socket() as squatter:
        squatter.bind((HOST, base + 1))
        squatter.listen()
        code, output = launch(base).finish()
    assert code == 1
    assert f"error: auth: port {base + 1} on {HOST} is already in use" in output
    assert not processes_of(data_dir)


def test_a_service_that_dies_while_starting_stops_the_rest(
    launch: Callable[..., Launcher], data_dir: Path
) -> None:
    """Everything before the gateway is up when the gateway refuses its settings; the launcher
    names it, stops the others and exits 1."""
    base = free_base_port()
    launcher = launch(base, GATEWAY_MAX_REQUEST_BYTES="1")
    code, output = launcher.finish(READY_SECONDS)
    assert code == 1, output
    names = [service.name for service in launcher.services]
    for service in launcher.services[: names.index("gateway")]:  # all before it were up
        assert re.search(rf"^  {service.name} +healthy$", output, re.M), service.name
    assert "error: gateway exited with code 1 before it was healthy" in output
    assert "ready (Ctrl-C stops)" not in output
    assert not processes_of(data_dir)
