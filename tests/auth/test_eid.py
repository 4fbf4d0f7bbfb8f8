"""Sign-in through an eID: our auth server as the relying party of a second, real auth server
started here to play the national eID (its test sign-in is the eID's user interface).

Every answer comes over real HTTP from the stand-in. To test what a misbehaving eID could
send, a middleware in front of the stand-in's token endpoint hands out an ID token with its
claims changed (signed again with the stand-in's own key, or another), as the refusals need.
"""

from __future__ import annotations

import base64
import html
import json
import os
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from auth.__main__ import main as auth_main
from auth.app import create_app
from auth.clients import hash_secret
from auth.context import AuthContext
from auth.eid import DEFAULT_AMR, FLOW_COOKIE
from auth.identity import TEST_ACR
from auth.population import Person, write_population_file
from auth.sessions import COOKIE
from auth.settings import AuthSettings, load_settings
from subgraphs.common.settings import ConfigurationError
from tests.auth.conftest import gateway_trust, make_settings
from tests.auth.support import (
    ANNA,
    BANK_REDIRECT,
    BEN,
    GUARDIANSHIPS,
    PEOPLE,
    PLATFORM_SECRET,
    Pkce,
    citizen_data,
    decode_unverified,
    free_port,
    gateway_claims,
    request_id,
    serve,
)
from tests.subgraphs.gateway_tokens import TestGateway

EID_CLIENT = "citizen-account"
EID_SECRET = "eid-client-secret-for-tests-only"
# Known to the eID, unknown to our population register.
STRANGER = Person("090990-999X", "Stina", "Muukalainen", date(1990, 9, 9))

Rewrite = Callable[[str, AuthContext], str]


class IdTokenRewriter:
    """In front of the stand-in's /token: records each ID token and, when `rewrite` is set,
    answers with the token it returns instead."""

    def __init__(self) -> None:
        self.rewrite: Rewrite | None = None
        self.seen: list[dict[str, Any]] = []
        self.ctx: AuthContext | None = None

    async def dispatch(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        if request.url.path != "/token" or response.status_code != 200:
            return response
        body = b"".join([chunk async for chunk in response.body_iterator])  # type: ignore[attr-defined]
        answer = json.loads(body)
        self.seen.append(decode_unverified(answer["id_token"]))
        if self.rewrite is not None:
            assert self.ctx is not None
            answer["id_token"] = self.rewrite(answer["id_token"], self.ctx)
        return JSONResponse(answer, headers={"Cache-Control": "no-store"})


@dataclass
class Pair:
    """The stand-in eID and our auth server, its relying party."""

    eid: str
    ours: str
    ours_ctx: AuthContext
    rewriter: IdTokenRewriter = field(default_factory=IdTokenRewriter)
    # Opens our server's platform tokens, as the gateway would.
    gateway: TestGateway = field(default_factory=TestGateway)

    @property
    def callback(self) -> str:
        return f"{self.ours}/signin/eid/callback"


@contextmanager
def eid_pair(
    directory: Path, gateway: TestGateway, first_party: bool = True, **ours: object
) -> Iterator[Pair]:
    eid_port, our_port = free_port(), free_port()
    standin_dir, our_dir = directory / "eid", directory / "ours"
    standin_dir.mkdir()
    our_dir.mkdir()
    population = standin_dir / "population.sqlite3"
    write_population_file(population, [*PEOPLE, STRANGER], GUARDIANSHIPS)
    clients = standin_dir / "clients.json"
    clients.write_text(
        json.dumps(
            [
                {
                    "client_id": EID_CLIENT,
                    "client_name": "Citizen account",
                    "redirect_uris": [f"http://127.0.0.1:{our_port}/signin/eid/callback"],
                    "client_secret_sha256": hash_secret(EID_SECRET),
                    "purpose": "Sign you in to the citizen account",
                    "data_categories": ["identity"],
                    "first_party": first_party,
                }
            ]
        )
    )
    standin = create_app(
        AuthSettings.model_validate(
            {
                "CITIZEN_DATA_DIR": standin_dir,
                "CITIZEN_ENV": "development",
                "issuer": f"http://127.0.0.1:{eid_port}",
                "population_file": population,
                "clients_file": clients,
            }
        ),
        gateway=gateway_trust(gateway),
    )
    rewriter = IdTokenRewriter()
    standin.add_middleware(BaseHTTPMiddleware, dispatch=rewriter.dispatch)
    settings = make_settings(
        our_dir,
        our_port,
        CITIZEN_ENV="production",
        eid_issuer=f"http://127.0.0.1:{eid_port}",
        eid_client_id=EID_CLIENT,
        eid_client_secret=EID_SECRET,
        **ours,
    )
    app = create_app(settings, gateway=gateway_trust(gateway))
    with serve(standin, eid_port) as eid_url, serve(app, our_port) as our_url:
        rewriter.ctx = standin.state.ctx
        yield Pair(eid_url, our_url, app.state.ctx, rewriter, gateway)


@pytest.fixture(scope="module")
def shared_pair(tmp_path_factory: pytest.TempPathFactory, gateway: TestGateway) -> Iterator[Pair]:
    with eid_pair(tmp_path_factory.mktemp("eid"), gateway) as pair:
        yield pair


@pytest.fixture
def pair(shared_pair: Pair) -> Iterator[Pair]:
    yield shared_pair
    shared_pair.rewriter.rewrite = None


def browser() -> httpx.Client:
    """One cookie jar for every origin, as a browser has."""
    return httpx.Client(follow_redirects=False, timeout=10)


def follow(http: httpx.Client, response: httpx.Response) -> httpx.Response:
    assert response.status_code in (302, 303), response.text
    return http.get(urljoin(str(response.url), response.headers["location"]))


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def bank_params(pkce: Pkce) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": "bank",
        "redirect_uri": BANK_REDIRECT,
        "scope": "openid",
        "state": "bank-state",
        "code_challenge": pkce.challenge,
        "code_challenge_method": "S256",
        "authorization_details": citizen_data(["identity", "income"]),
    }


def sign_in_at_eid(
    http: httpx.Client, pair: Pair, at_eid: httpx.Response, who: str
) -> httpx.Response:
    """At the eID: its sign-in page, as `who`; leaves the browser on its /authorize."""
    assert at_eid.status_code == 303 and "/signin/test" in at_eid.headers["location"]
    page = follow(http, at_eid)
    assert page.status_code == 200
    return_to = query_of(at_eid.headers["location"])["return_to"]
    signed_in = http.post(
        f"{pair.eid}/signin/test", data={"personal_id": who, "return_to": return_to}
    )
    assert signed_in.status_code == 303, signed_in.text
    return signed_in


def to_our_callback(
    http: httpx.Client, pair: Pair, who: str, pkce: Pkce | None = None
) -> httpx.Response:
    """From a platform's request at our /authorize through the eID's sign-in as `who`, up to
    the eID's redirect back to our callback (returned, not followed)."""
    first = http.get(f"{pair.ours}/authorize", params=bank_params(pkce or Pkce.new()))
    assert first.status_code == 303 and first.headers["location"].startswith("/signin/eid?")
    to_eid = follow(http, first)
    assert to_eid.status_code == 303
    assert to_eid.headers["location"].startswith(f"{pair.eid}/authorize?")
    signed_in = sign_in_at_eid(http, pair, follow(http, to_eid), who)
    back = follow(http, signed_in)
    assert back.headers["location"].startswith(pair.callback + "?"), back.headers["location"]
    return back


def refused(response: httpx.Response, status: int, words: str) -> None:
    assert response.status_code == status, response.text
    assert words in html.unescape(response.text)
    assert f"{COOKIE}=" not in response.headers.get("set-cookie", "")


def signed_in_at_ours(http: httpx.Client, pair: Pair) -> bool:
    again = http.get(f"{pair.ours}/authorize", params=bank_params(Pkce.new()))
    return not again.headers.get("location", "").startswith("/signin/eid?")


def bank_token(http: httpx.Client, pair: Pair, callback: httpx.Response, pkce: Pkce) -> str:
    """Back at our server signed in: the consent page, approve, the bank's access token."""
    assert callback.status_code == 303, callback.text
    assert f"{COOKIE}=" in callback.headers["set-cookie"]
    consent = follow(http, callback)
    assert consent.status_code == 200 and "Example Bank" in consent.text
    approved = http.post(
        f"{pair.ours}/authorize",
        data={
            "request_id": request_id(consent.text),
            "decision": "approve",
            "category": ["identity", "income"],
        },
    )
    token = http.post(
        f"{pair.ours}/token",
        data={
            "grant_type": "authorization_code",
            "code": query_of(approved.headers["location"])["code"],
            "redirect_uri": BANK_REDIRECT,
            "code_verifier": pkce.verifier,
        },
        auth=("bank", PLATFORM_SECRET),
    )
    assert token.status_code == 200, token.text
    return str(token.json()["access_token"])


def test_a_citizen_signs_in_through_the_eid(pair: Pair) -> None:
    pkce = Pkce.new()
    with browser() as http:
        first = http.get(f"{pair.ours}/authorize", params=bank_params(pkce))
        to_eid = follow(http, first)
        # What our server asks of the eID: the code flow with PKCE, state and nonce.
        asked = query_of(to_eid.headers["location"])
        assert asked["response_type"] == "code" and asked["scope"] == "openid"
        assert asked["client_id"] == EID_CLIENT and asked["redirect_uri"] == pair.callback
        assert asked["code_challenge_method"] == "S256" and len(asked["code_challenge"]) == 43
        assert len(asked["state"]) >= 32 and len(asked["nonce"]) >= 32
        assert FLOW_COOKIE in to_eid.headers["set-cookie"]

        back = follow(http, sign_in_at_eid(http, pair, follow(http, to_eid), ANNA))
        assert query_of(back.headers["location"])["state"] == asked["state"]
        token = bank_token(http, pair, follow(http, back), pkce)
    claims = gateway_claims(token, pair.gateway.decryption)
    upstream = pair.rewriter.seen[-1]
    assert upstream["nonce"] == asked["nonce"] and upstream["aud"] == [EID_CLIENT]
    # The eID's `sub` is the personal id; how and when it signed the citizen in carries over.
    assert claims["sub"] == ANNA == upstream["sub"]
    assert claims["acr"] == TEST_ACR == upstream["acr"]
    assert claims["amr"] == ["test"] == upstream["amr"]
    assert claims["auth_time"] == upstream["auth_time"]
    assert claims["iss"] == pair.ours


def test_the_callback_is_taken_once_with_its_state_in_the_browser_that_started_it(
    pair: Pair,
) -> None:
    with browser() as http:
        back = to_our_callback(http, pair, ANNA)
        url = urljoin(str(back.url), back.headers["location"])
        code = query_of(url)["code"]
        callback = pair.callback
        refused(http.get(callback, params={"code": code}), 400, "not valid here")
        refused(http.get(callback, params={"code": code, "state": "x" * 32}), 400, "not valid here")
        with browser() as other:
            refused(other.get(url), 400, "not valid here")
            other.cookies.set(FLOW_COOKIE, "another-browser", path="/signin/eid")
            refused(other.get(url), 400, "not valid here")
        # None of that used the held request up; its own browser completes it, once.
        assert http.get(url).status_code == 303
        refused(http.get(url), 400, "not valid here")


def _resign(**changes: Any) -> Rewrite:
    """The eID's ID token with `changes` (None removes a claim), signed again by the eID."""

    def rewrite(token: str, ctx: AuthContext) -> str:
        claims = {**decode_unverified(token), **changes}
        return ctx.keys.sign({k: v for k, v in claims.items() if v is not None})

    return rewrite


def _foreign_key(token: str, ctx: AuthContext) -> str:
    key = RSAKey.generate_key(2048, parameters={"kid": "not-the-eids"})
    return jwt.encode({"alg": "RS256", "kid": "not-the-eids"}, decode_unverified(token), key)


def _hs256_with_the_public_key(token: str, ctx: AuthContext) -> str:
    # The old key-confusion attack: the eID's public key used as an HMAC secret.
    public = json.dumps(ctx.keys.jwks()["keys"][0]).encode()
    header = {"alg": "HS256", "kid": ctx.keys.active.kid}
    return jwt.encode(header, decode_unverified(token), OctKey.import_key(public), ["HS256"])


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _unsigned(token: str, ctx: AuthContext) -> str:
    return f"{_b64({'alg': 'none'})}.{_b64(decode_unverified(token))}."


def _claims_swapped(token: str, ctx: AuthContext) -> str:
    """Another person's claims under the eID's genuine signature."""
    header, _, signature = token.split(".")
    return f"{header}.{_b64({**decode_unverified(token), 'sub': BEN})}.{signature}"


NOW = int(time.time())


@pytest.mark.parametrize(
    ("rewrite", "reason"),
    [
        pytest.param(_resign(nonce="another-sign-in"), "nonce is not this", id="nonce"),
        pytest.param(_resign(nonce=None), "nonce is not this", id="no-nonce"),
        pytest.param(_resign(iss="https://eid.example"), "issued by another identity", id="issuer"),
        pytest.param(_resign(aud=["someone-else"]), "meant for another service", id="audience"),
        pytest.param(
            _resign(aud=[EID_CLIENT, "someone-else"]), "issued to another service", id="no-azp"
        ),
        pytest.param(_resign(azp="someone-else"), "issued to another service", id="azp"),
        pytest.param(_resign(exp=NOW - 120), "has expired", id="expired"),
        pytest.param(_resign(iat=NOW + 3600, exp=NOW + 4000), "in the future", id="iat-future"),
        pytest.param(_resign(iat=NOW - 3600), "too long ago", id="iat-old"),
        pytest.param(_resign(sub=None), "names no subject", id="no-sub"),
        pytest.param(_foreign_key, "a key the eID does not publish", id="foreign-key"),
        pytest.param(_hs256_with_the_public_key, "'HS256', which is not accepted", id="hs256"),
        pytest.param(_unsigned, "'none', which is not accepted", id="alg-none"),
        pytest.param(_claims_swapped, "signature of its ID token does not verify", id="tampered"),
    ],
)
def test_an_id_token_failing_a_check_signs_nobody_in(
    pair: Pair, rewrite: Rewrite, reason: str
) -> None:
    pair.rewriter.rewrite = rewrite
    with browser() as http:
        callback = follow(http, to_our_callback(http, pair, ANNA))
        refused(callback, 400, reason)
        assert "Nobody was signed in" in callback.text
        assert not signed_in_at_ours(http, pair)


def test_a_person_the_register_does_not_know_is_refused(pair: Pair) -> None:
    with browser() as http:
        callback = follow(http, to_our_callback(http, pair, STRANGER.personal_id))
        refused(callback, 403, "the population register has no record of you")
        assert not signed_in_at_ours(http, pair)


def test_the_personal_id_comes_from_the_configured_claim(
    tmp_path: Path, gateway: TestGateway
) -> None:
    """An eID whose `sub` is a pairwise id and whose personal id is a claim of its own; it
    names neither method nor level, so the session's amr is the default and it has no acr."""
    with eid_pair(tmp_path, gateway, eid_personal_id_claim="national_id") as pair:

        def pairwise(token: str, ctx: AuthContext) -> str:
            claims = decode_unverified(token)
            anonymous = _resign(sub="pairwise-7f3a", national_id=claims["sub"], amr=None, acr=None)
            return anonymous(token, ctx)

        pair.rewriter.rewrite = pairwise
        pkce = Pkce.new()
        with browser() as http:
            callback = follow(http, to_our_callback(http, pair, ANNA, pkce))
            claims = gateway_claims(bank_token(http, pair, callback, pkce), pair.gateway.decryption)
    assert claims["sub"] == ANNA
    assert claims["amr"] == list(DEFAULT_AMR) == ["eid"]
    assert "acr" not in claims


def test_an_eid_error_is_shown_as_a_page(tmp_path: Path, gateway: TestGateway) -> None:
    """The citizen refuses at the eID (here its consent page, our server being a third-party
    client of the stand-in): the eID sends back access_denied, and nobody is signed in."""
    with eid_pair(tmp_path, gateway, first_party=False) as pair, browser() as http:
        first = http.get(f"{pair.ours}/authorize", params=bank_params(Pkce.new()))
        to_eid = follow(http, follow(http, first))
        at_consent = follow(http, sign_in_at_eid(http, pair, to_eid, ANNA))
        assert at_consent.status_code == 200 and "Citizen account" in at_consent.text
        denied = http.post(
            f"{pair.eid}/authorize",
            data={"request_id": request_id(at_consent.text), "decision": "refuse"},
        )
        assert query_of(denied.headers["location"])["error"] == "access_denied"
        page = follow(http, denied)
        refused(page, 400, "You cancelled the sign-in, or the identity service refused it.")
        assert "Start signing in again" in page.text
        assert not signed_in_at_ours(http, pair)

        # The eID's free text never reaches our page.
        forged = http.get(
            pair.callback,
            params={"error": "server_error", "error_description": "Call +1 555 0100 now"},
        )
        refused(forged, 400, "could not sign you in (server_error)")
        assert "0100" not in forged.text


def test_an_unreachable_eid_is_a_page_not_a_sign_in(tmp_path: Path, gateway: TestGateway) -> None:
    port = free_port()
    settings = make_settings(
        tmp_path,
        port,
        CITIZEN_ENV="production",
        eid_issuer=f"http://127.0.0.1:{free_port()}",
        eid_client_id=EID_CLIENT,
        eid_client_secret=EID_SECRET,
    )
    with (
        serve(create_app(settings, gateway=gateway_trust(gateway)), port) as url,
        browser() as http,
    ):
        start = http.get(f"{url}/signin/eid", params={"return_to": "/authorize"})
        refused(start, 503, "Sign-in is not available right now")


def test_production_without_an_eid_does_not_start(
    tmp_path: Path,
    gateway: TestGateway,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = make_settings(tmp_path, free_port(), CITIZEN_ENV="production")
    with pytest.raises(ConfigurationError, match="AUTH_EID_ISSUER"):
        create_app(settings, gateway=gateway_trust(gateway))
    half = settings.model_copy(update={"eid_issuer": "https://eid.example", "eid_client_id": "x"})
    with pytest.raises(ConfigurationError, match="AUTH_EID_CLIENT_SECRET"):
        create_app(half, gateway=gateway_trust(gateway))

    # As an operator sees it: `python -m auth` names the variable and exits.
    for name in [n for n in os.environ if n.startswith(("AUTH_", "CITIZEN_"))]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("CITIZEN_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CITIZEN_GATEWAY_JWKS_URL", gateway.jwks_url)
    assert auth_main(["--port", str(free_port())]) == 2
    assert "error: AUTH_EID_ISSUER: required in production" in capsys.readouterr().err


def test_only_asymmetric_algorithms_are_accepted_from_the_eid(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AUTH_EID_ALGORITHMS", '["RS256", "HS256"]')
    with pytest.raises(SystemExit, match="AUTH_EID_ALGORITHMS"):
        load_settings()
