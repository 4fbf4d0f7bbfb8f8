"""`python -m bench fuzz`: the fuzz tests' strategies for minutes instead of seconds.

    a test topic's subgraphs + our gateway (as tests/gateway/test_fuzz.py starts them),
    or any running gateway (--url; its schema read by introspection, which it must allow)
        ▲ rounds of each property, fresh random seeds, until the time is up:
        │   valid operations (POST and GET)   must get 200 and no request error
        │   damaged operations, any JSON, any bytes with any content type, any GET parameters
        │                                     must get a GraphQL-shaped answer, no 5xx but
        │                                     deliberate 503s (bench/invariants.py)
    report: requests per property and status, every violation (shrunk), exit 1 if any

The gateway must still answer a normal query at the end.
"""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
from graphql import GraphQLSchema, build_client_schema, get_introspection_query
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from bench.invariants import request_errors, violations
from bench.strategies import (
    GraphQLRequest,
    damaged_requests,
    json_values,
    raw_bodies,
    request_shaped_bodies,
    to_json,
    valid_requests,
)

_JSON = {"content-type": "application/json", "accept": "application/json"}
# CSRF prevention lets a GET through when it carries a header no simple request can.
_PREFLIGHTED = {**_JSON, "graphql-preflight": "1"}


@dataclass
class FuzzReport:
    seconds: float = 0.0
    statuses: dict[str, Counter[int]] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)
    answers_afterwards: bool = False

    def count(self, prop: str, status: int) -> None:
        self.statuses.setdefault(prop, Counter())[status] += 1

    def as_json(self) -> dict[str, Any]:
        return {
            "seconds": round(self.seconds, 1),
            "requests": sum(sum(c.values()) for c in self.statuses.values()),
            "statuses": {
                prop: {str(status): n for status, n in sorted(counts.items())}
                for prop, counts in self.statuses.items()
            },
            "violations": self.violations,
            "answers_afterwards": self.answers_afterwards,
        }

    @property
    def ok(self) -> bool:
        return not self.violations and self.answers_afterwards


class _Violation(AssertionError):
    pass


class _Fuzzer:
    """The properties, each checking one answer and counting its status."""

    def __init__(self, client: httpx.Client, schema: GraphQLSchema, report: FuzzReport) -> None:
        self.client = client
        self.schema = schema
        self.report = report

    def check(self, prop: str, answer: httpx.Response, sent: object) -> Any:
        self.report.count(prop, answer.status_code)
        problems = violations(answer.status_code, answer.content)
        if problems:
            raise _Violation(f"{prop}: {problems} for {str(sent)[:500]}")
        return orjson.loads(answer.content)

    def send(self, method: str, **kw: Any) -> httpx.Response:
        try:
            return self.client.request(method, "/graphql", **kw)
        except httpx.HTTPError as error:
            raise _Violation(f"no answer: {type(error).__name__}: {error}") from None

    def properties(self) -> dict[str, Callable[[settings], Callable[[], None]]]:
        schema = self.schema

        def valid(config: settings) -> Callable[[], None]:
            @config
            @given(request=valid_requests(schema), get=st.booleans())
            def run(request: GraphQLRequest, get: bool) -> None:
                if get and not request.query.startswith("mutation"):
                    variables = to_json(request.variables).decode()
                    params = {"query": request.query, "variables": variables}
                    if request.operation_name is not None:
                        params["operationName"] = request.operation_name
                    answer = self.send("GET", params=params, headers=_PREFLIGHTED)
                else:
                    answer = self.send("POST", content=to_json(request.body()), headers=_JSON)
                payload = self.check("valid", answer, request)
                if answer.status_code in (429, 503):
                    return  # rate-limited or shed: turned away under load, not found invalid
                if answer.status_code != 200 or request_errors(payload):
                    raise _Violation(f"valid: refused: {str(payload)[:300]} for {request}")

            return run

        def damaged(config: settings) -> Callable[[], None]:
            @config
            @given(request=damaged_requests(schema))
            def run(request: GraphQLRequest) -> None:
                body = to_json(request.body())
                self.check("damaged", self.send("POST", content=body, headers=_JSON), body)

            return run

        def json_body(config: settings) -> Callable[[], None]:
            @config
            @given(body=json_values | request_shaped_bodies(schema))
            def run(body: Any) -> None:
                sent = to_json(body)
                self.check("json", self.send("POST", content=sent, headers=_JSON), sent)

            return run

        def raw(config: settings) -> Callable[[], None]:
            @config
            @given(body=raw_bodies)
            def run(body: tuple[str, bytes]) -> None:
                content_type, content = body
                headers = {"content-type": content_type, "accept": "application/json"}
                answer = self.send("POST", content=content, headers=headers)
                self.check("bytes", answer, body)

            return run

        def get(config: settings) -> Callable[[], None]:
            names = st.sampled_from(("query", "variables", "operationName", "extensions"))

            @config
            @given(params=st.dictionaries(names, st.text()))
            def run(params: dict[str, str]) -> None:
                answer = self.send("GET", params=params, headers=_JSON)
                self.check("get", answer, params)

            return run

        return {"valid": valid, "damaged": damaged, "json": json_body, "bytes": raw, "get": get}


def fuzz(url: str, schema: GraphQLSchema, seconds: float, examples_per_round: int) -> FuzzReport:
    """Run every property in rounds until `seconds` have passed; stop a property at its first
    violation (hypothesis shrinks it first)."""
    report = FuzzReport()
    started = time.monotonic()
    with httpx.Client(base_url=url.removesuffix("/graphql"), timeout=60) as client:
        fuzzer = _Fuzzer(client, schema, report)
        config = settings(
            max_examples=examples_per_round,
            deadline=None,
            database=None,
            phases=[Phase.generate, Phase.shrink],
            suppress_health_check=list(HealthCheck),
            print_blob=True,
        )
        live = fuzzer.properties()
        while live and time.monotonic() - started < seconds:
            for name, build in list(live.items()):
                try:
                    build(config)()
                except _Violation as violation:
                    report.violations.append(str(violation))
                    del live[name]
                if time.monotonic() - started >= seconds:
                    break
        report.seconds = time.monotonic() - started
        with contextlib.suppress(httpx.HTTPError):
            answer = client.post("/graphql", json={"query": "{ __typename }"}, headers=_JSON)
            report.answers_afterwards = answer.status_code == 200 and answer.json() == {
                "data": {"__typename": "Query"}
            }
    return report


def introspected_schema(url: str) -> GraphQLSchema:
    answer = httpx.post(url, json={"query": get_introspection_query()}, headers=_JSON, timeout=30)
    answer.raise_for_status()
    return build_client_schema(answer.json()["data"])


@contextlib.contextmanager
def topic_federation(topic: str) -> Iterator[str]:
    """A test topic's subgraphs and our gateway, as tests/gateway/ starts them; the URL."""
    from tests.gateway.kit.federation import load_topic, start_federation

    with start_federation(load_topic(topic), {"introspection": True}) as federation:
        yield federation.gateway.url


def main(topic: str, url: str | None, minutes: float, examples_per_round: int) -> int:
    with contextlib.ExitStack() as stack:
        target = url
        if url is None:
            url = stack.enter_context(topic_federation(topic))
            target = f"{url} (topic {topic})"
        print(f"fuzzing {target} for {minutes:g} min", flush=True)
        report = fuzz(url, introspected_schema(url), minutes * 60, examples_per_round)
    summary = report.as_json()
    print(f"{summary['requests']} requests in {summary['seconds']} s")
    for prop, counts in summary["statuses"].items():
        shown = ", ".join(f"{status}: {n}" for status, n in counts.items())
        print(f"  {prop:8} {shown}")
    for violation in report.violations:
        print(f"VIOLATION {violation}")
    print(f"answers a normal query afterwards: {'yes' if report.answers_afterwards else 'NO'}")
    print("FUZZ_RESULT " + orjson.dumps(summary).decode(), flush=True)
    return 0 if report.ok else 1
