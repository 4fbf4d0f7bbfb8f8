"""private_key_jwt over real HTTP: Authlib's client signs, the server checks iss, sub, aud (the
issuer only), exp, iat, the signature against registered keys (inline or at jwks_uri,
refetched for an unknown kid) and that no jti is used twice."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.auth.conftest import RunningAuth
from tests.auth.platforms import (
    ADMIN,
    ASSERTION_TYPE,
    Platform,
    new_key,
    platform_metadata,
    public_jwks,
    register,
)
from tests.auth.support import free_port, serve


def introspect(auth: RunningAuth, assertion: str, token: str = "x") -> httpx.Response:
    return httpx.post(
        f"{auth.url}/introspect",
        data={
            "token": token,
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion,
        },
        timeout=10,
    )


def test_registration_takes_keys_not_secrets(auth_server: RunningAuth) -> None:
    platform = register(auth_server)
    assert "client_secret" not in platform.registration
    assert platform.registration["token_endpoint_auth_method"] == "private_key_jwt"
    with httpx.Client(base_url=auth_server.url, timeout=10) as http:
        no_keys = http.post(
            "/register",
            json=platform_metadata(token_endpoint_auth_method="private_key_jwt"),
            headers=ADMIN,
        )
        assert no_keys.status_code == 400
        assert "jwks" in no_keys.json()["error_description"]
        private = http.post(
            "/register",
            json=platform_metadata(
                token_endpoint_auth_method="private_key_jwt",
                jwks={"keys": [new_key().as_dict(private=True)]},
            ),
            headers=ADMIN,
        )
        assert private.status_code == 400
        assert "private key" in private.json()["error_description"]


def test_authlib_client_authenticates_at_introspection(auth_server: RunningAuth) -> None:
    platform = register(auth_server, alg="PS256")
    with platform.oauth_client(auth_server) as client:
        # Its own unknown token: authenticated, so the answer is "inactive", not an error.
        answer = client.introspect_token(f"{auth_server.url}/introspect", token="nothing")
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"active": False}


def test_each_bad_assertion_is_refused(auth_server: RunningAuth) -> None:
    platform = register(auth_server)
    now = int(time.time())
    refusals = {
        "token endpoint as aud": platform.assertion(auth_server, aud=f"{auth_server.url}/token"),
        "another server as aud": platform.assertion(auth_server, aud="https://other.example"),
        "expired": platform.assertion(auth_server, iat=now - 120, exp=now - 60),
        "too long-lived": platform.assertion(auth_server, exp=now + 7200),
        "no jti": platform.assertion(auth_server, jti=""),
        "iss is not sub": platform.assertion(auth_server, iss="someone-else"),
        "unknown key": platform.assertion(auth_server, key=new_key()),
    }
    for name, assertion in refusals.items():
        answer = introspect(auth_server, assertion)
        assert answer.status_code in (400, 401), name
        assert answer.json()["error"] == "invalid_client", (name, answer.text)
    assert introspect(auth_server, platform.assertion(auth_server)).status_code == 200


def test_a_replayed_jti_is_refused(auth_server: RunningAuth) -> None:
    platform = register(auth_server)
    assertion = platform.assertion(auth_server)
    assert introspect(auth_server, assertion).status_code == 200
    again = introspect(auth_server, assertion)
    assert again.json() == {
        "error": "invalid_client",
        "error_description": "This client assertion was already used.",
    }


def test_rs256_and_hs256_assertions_are_refused(auth_server: RunningAuth) -> None:
    platform = register(auth_server, alg="RS256", key=new_key("RS256"))
    answer = introspect(auth_server, platform.assertion(auth_server))
    assert answer.json()["error"] == "invalid_client"
    assert "ES256 or PS256" in answer.json()["error_description"]


@pytest.fixture
def jwks_host() -> Iterator[tuple[str, dict[str, Any]]]:
    """A platform's own web server publishing its JWKS, whose content the test changes."""
    published: dict[str, Any] = {"keys": []}

    async def jwks(request: Request) -> JSONResponse:
        return JSONResponse(published)

    port = free_port()
    with serve(Starlette(routes=[Route("/jwks.json", jwks)]), port) as url:
        yield f"{url}/jwks.json", published


def test_jwks_uri_is_fetched_and_refetched_for_a_new_kid(
    auth_server: RunningAuth, jwks_host: tuple[str, dict[str, Any]]
) -> None:
    uri, published = jwks_host
    first = new_key()
    published["keys"] = public_jwks(first)["keys"]
    platform: Platform = register(auth_server, key=first, jwks_uri=uri)
    assert introspect(auth_server, platform.assertion(auth_server)).status_code == 200

    # The platform rotates its key and publishes the new one: the unknown kid makes the
    # server fetch the JWKS again (once the refetch interval has passed).
    second = new_key()
    published["keys"] = public_jwks(second)["keys"]
    time.sleep(10.5)
    assert introspect(auth_server, platform.assertion(auth_server, key=second)).status_code == 200
    # The retired key no longer verifies anything.
    assert introspect(auth_server, platform.assertion(auth_server)).status_code in (400, 401)
