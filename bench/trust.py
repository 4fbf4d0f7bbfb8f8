"""The trust chain in the benchmark: a bench issuer, the token it mints, a secured supergraph.

`ours-auth` runs our gateway as production does, on the same deep query; `ours-logged` the
same with the disclosure log on:

    issuer (python -m bench issuer, pinned with the load generator)
      /.well-known/openid-configuration   {"issuer": <its URL>, "jwks_uri": <its URL>/jwks.json}
      /jwks.json                          an RSA key generated when it starts (never on disk)
      /revocations?since=N                {"revocations": []}, polled by the gateway every 0.5 s
      /disclosures                        the log sink: takes the batched POST of disclosure
                                          records (HTTP Basic) as auth's access log does, 201
      /stats                              requests answered, per path, and records taken
    gateway  GATEWAY_ISSUER, GATEWAY_AUDIENCE, GATEWAY_REVOCATION_POLL_URL, and the supergraph
             below: every request verifies the Bearer token (signature once, then from the
             gateway's cache of verified tokens; times and revocations on every request),
             decides the fields' requirements, and signs identity tokens carrying its claims;
             ours-logged also walks each response for what it discloses about each User and
             records it through auth.disclosures (group commit) before answering
    load     every request sends `Authorization: Bearer <the issuer's one RS256 token>`, a
             platform's (`authority: consent`), so every response is recorded

The secured supergraph is bench/supergraph.graphql with the two security features linked and
the requirements in `REQUIREMENTS` appended to their fields (`secure`): every field the deep
query reaches through a requirement, so a request without the token gets errors, not data.
"""

from __future__ import annotations

import asyncio
import base64
import re
import secrets
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import orjson
from joserfc import jwt
from joserfc.jwk import RSAKey

AUDIENCE = "urn:bench:gateway"
# ours-logged: the data subject of bench/supergraph.graphql, and the client the gateway
# records disclosures as.
SUBJECT = "User.id"
LOG_CLIENT = "bench-gateway"
SCOPES = ("reviews:read", "products:read")
TOKEN_LIFETIME_SECONDS = 2 * 3600
# (type, field) -> the directive appended to that field's line.
REQUIREMENTS = {
    ("Query", "users"): "@authenticated",
    ("Query", "topProducts"): "@authenticated",
    ("User", "reviews"): '@requiresScopes(scopes: [["reviews:read"]])',
    ("Product", "reviews"): '@requiresScopes(scopes: [["reviews:read"]])',
    ("Review", "product"): '@requiresScopes(scopes: [["products:read"]])',
}
_LINKS = (
    '  @link(url: "https://specs.apollo.dev/requiresScopes/v0.1", for: SECURITY)\n'
    '  @link(url: "https://specs.apollo.dev/authenticated/v0.1", for: SECURITY)\n'
)
_DEFINITIONS = """
directive @authenticated on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM

directive @requiresScopes(scopes: [[requiresScopes__Scope!]!]!) \
on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM

scalar requiresScopes__Scope
"""
_JOIN_LINK = re.compile(r'^ *@link\(url: "https://specs\.apollo\.dev/join/[^\n]*\n', re.MULTILINE)
_TYPE = re.compile(r"^type (\w+)")
_FIELD = re.compile(r"^  (\w+)[(:]")
_READY_PREFIX = "BENCH_ISSUER "


def secure(supergraph: str) -> str:
    """The supergraph with @requiresScopes and @authenticated linked, defined and applied
    to the fields in REQUIREMENTS; ValueError if the supergraph no longer has one of them."""
    join = _JOIN_LINK.search(supergraph)
    if join is None:
        raise ValueError("no @link to the join spec in the supergraph")
    text = supergraph[: join.end()] + _LINKS + supergraph[join.end() :]
    lines = text.splitlines()
    applied = set()
    current: str | None = None
    for n, line in enumerate(lines):
        if (type_match := _TYPE.match(line)) is not None:
            current = type_match.group(1)
        elif line.startswith("}"):
            current = None
        elif current is not None and (field_match := _FIELD.match(line)) is not None:
            key = (current, field_match.group(1))
            if key in REQUIREMENTS:
                lines[n] = f"{line} {REQUIREMENTS[key]}"
                applied.add(key)
    missing = REQUIREMENTS.keys() - applied
    if missing:
        raise ValueError(f"fields not in the supergraph: {sorted(missing)}")
    return "\n".join(lines) + "\n" + _DEFINITIONS


@dataclass(frozen=True)
class Trust:
    """What the runner needs to run a gateway behind the bench issuer."""

    issuer: str  # the issuer's base URL, which is also its `iss`
    token: str  # with the scopes the deep query needs
    unscoped_token: str  # valid, without any scope: for the enforcement check
    supergraph: Path  # the secured supergraph
    log_secret: str  # the log sink's password for LOG_CLIENT
    audience: str = AUDIENCE

    def gateway_env(self) -> dict[str, str]:
        return {
            "GATEWAY_ISSUER": self.issuer,
            "GATEWAY_AUDIENCE": self.audience,
            "GATEWAY_REVOCATION_POLL_URL": f"{self.issuer}/revocations",
        }

    def logging_env(self) -> dict[str, str]:
        """ours-logged: the trust chain and the disclosure stage, recording at the sink."""
        return {
            **self.gateway_env(),
            "GATEWAY_DISCLOSURE_SUBJECT": SUBJECT,
            "GATEWAY_DISCLOSURE_HOOK": "auth.disclosures:record",
            "CITIZEN_DISCLOSURE_URL": f"{self.issuer}/disclosures",
            "CITIZEN_DISCLOSURE_CLIENT_ID": LOG_CLIENT,
            "CITIZEN_DISCLOSURE_CLIENT_SECRET": self.log_secret,
        }


def ready_line(output: str) -> dict[str, str] | None:
    """The issuer's `{"issuer": ..., "token": ..., "unscoped_token": ..., "log_secret": ...}`
    once printed."""
    for line in output.splitlines():
        if line.startswith(_READY_PREFIX):
            found: dict[str, str] = orjson.loads(line[len(_READY_PREFIX) :])
            return found
    return None


def forged(token: str) -> str:
    """The same header and claims signed by another key under the same kid: what the gateway
    must refuse (401), proving it checks signatures."""
    header = orjson.loads(_b64decode(token.split(".")[0]))
    claims = orjson.loads(_b64decode(token.split(".")[1]))
    stranger = RSAKey.generate_key(2048, parameters={"kid": header["kid"]})
    return jwt.encode(header, claims, stranger, algorithms=["RS256"])


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


# The issuer process.


def mint(issuer: str, key: RSAKey, scopes: tuple[str, ...] = SCOPES) -> str:
    """An RFC 9068 access token from `issuer` for the bench audience, signed with `key`: a
    platform's, within a consent (so ours-logged records every response it answers)."""
    now = int(time.time())
    claims = {
        "iss": issuer,
        "aud": AUDIENCE,
        "sub": "bench-user",
        "client_id": "bench",
        "authority": "consent",
        "consent_id": "bench-consent",
        "scope": " ".join(scopes),
        "iat": now,
        "exp": now + TOKEN_LIFETIME_SECONDS,
        "jti": secrets.token_urlsafe(16),
    }
    header = {"alg": "RS256", "typ": "at+jwt", "kid": key.kid}
    return jwt.encode(header, claims, key, algorithms=["RS256"])


async def _serve(host: str, port: int) -> None:
    from aiohttp import web
    from aiohttp.typedefs import Handler

    issuer = f"http://{host}:{port}"
    key = RSAKey.generate_key(2048, parameters={"alg": "RS256", "use": "sig"}, auto_kid=True)
    jwks = orjson.dumps({"keys": [key.as_dict(private=False)]})
    discovery = orjson.dumps({"issuer": issuer, "jwks_uri": f"{issuer}/jwks.json"})
    log_secret = secrets.token_urlsafe(24)
    log_credentials = "Basic " + base64.b64encode(f"{LOG_CLIENT}:{log_secret}".encode()).decode()
    counts: Counter[str] = Counter()

    def answer(body: bytes) -> web.Response:
        return web.Response(body=body, content_type="application/json")

    @web.middleware
    async def count(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path != "/stats":
            counts[request.path] += 1
        return await handler(request)

    async def discovery_document(request: web.Request) -> web.Response:
        return answer(discovery)

    async def key_set(request: web.Request) -> web.Response:
        return answer(jwks)

    async def revocations(request: web.Request) -> web.Response:
        return answer(b'{"revocations": []}')

    async def disclosures(request: web.Request) -> web.Response:
        if request.headers.get("authorization") != log_credentials:
            return web.Response(status=401)
        records = orjson.loads(await request.read())
        counts["records"] += len(records)
        recorded = [{"seq": counts["records"] - len(records) + n} for n in range(len(records))]
        return web.Response(
            body=orjson.dumps({"recorded": recorded}),
            status=201,
            content_type="application/json",
        )

    async def stats(request: web.Request) -> web.Response:
        return answer(orjson.dumps(counts))

    app = web.Application(middlewares=[count])
    app.router.add_get("/.well-known/openid-configuration", discovery_document)
    app.router.add_get("/jwks.json", key_set)
    app.router.add_get("/revocations", revocations)
    app.router.add_post("/disclosures", disclosures)
    app.router.add_get("/stats", stats)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    ready = {
        "issuer": issuer,
        "token": mint(issuer, key),
        "unscoped_token": mint(issuer, key, scopes=()),
        "log_secret": log_secret,
    }
    print(_READY_PREFIX + orjson.dumps(ready).decode(), flush=True)
    await asyncio.Event().wait()


def serve(host: str, port: int) -> None:
    """`python -m bench issuer --port P`: print the ready line, then serve until killed."""
    asyncio.run(_serve(host, port))
