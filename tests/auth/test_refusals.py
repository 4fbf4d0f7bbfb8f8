"""Each refusal of the code flow gets the error its RFC names."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from auth.tokens import hash_token
from tests.auth.conftest import RunningAuth
from tests.auth.support import ANNA, BANK_REDIRECT, Pkce, authorize
from tests.auth.test_flow import GATEWAY, bank_params, code_for, token


def exchange_code(http, code: str, verifier: str, redirect_uri: str = BANK_REDIRECT):  # type: ignore[no-untyped-def]
    return token(
        http,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        },
    )


def test_bad_pkce_verifier_is_invalid_grant(auth_server: RunningAuth) -> None:
    pkce = Pkce.new()
    with auth_server.client() as http:
        code = code_for(http, pkce, ["income"])
        answer = exchange_code(http, code, Pkce.new().verifier)
        assert answer.status_code == 400
        assert answer.json()["error"] == "invalid_grant"
        # The code is spent even though the exchange failed.
        assert exchange_code(http, code, pkce.verifier).json()["error"] == "invalid_grant"


def test_reused_code_is_invalid_grant_and_revokes_its_tokens(auth_server: RunningAuth) -> None:
    pkce = Pkce.new()
    with auth_server.client() as http:
        code = code_for(http, pkce, ["income"])
        first = exchange_code(http, code, pkce.verifier)
        assert first.status_code == 200
        second = exchange_code(http, code, pkce.verifier)
        assert second.status_code == 400 and second.json()["error"] == "invalid_grant"
        introspected = http.post(
            "/introspect", data={"token": first.json()["access_token"]}, auth=GATEWAY
        )
        assert introspected.json() == {"active": False}
    jti = parse_jti(first.json()["access_token"], auth_server)
    record = auth_server.call(auth_server.ctx.tokens.by_jti(jti))
    assert record is not None and record.revoked_at is not None
    assert hash_token(code) == record.code_hash


def parse_jti(access_token: str, auth_server: RunningAuth) -> str:
    from tests.auth.support import gateway_claims

    return str(gateway_claims(access_token, auth_server.gateway.decryption)["jti"])


def test_wrong_redirect_uri(auth_server: RunningAuth) -> None:
    pkce = Pkce.new()
    with auth_server.client() as http:
        # At the authorization endpoint: shown, never redirected (RFC 6749 §4.1.2.1).
        page = http.get(
            "/authorize", params=bank_params(pkce, redirect_uri="https://evil.example/cb")
        )
        assert page.status_code == 400 and "not valid" in page.text
        assert "location" not in page.headers
        # A prefix of a registered URI is not a match either.
        page = http.get("/authorize", params=bank_params(pkce, redirect_uri=BANK_REDIRECT + "x"))
        assert page.status_code == 400
        # At the token endpoint: invalid_grant when it differs from the authorization request.
        code = code_for(http, pkce, ["income"])
        answer = exchange_code(http, code, pkce.verifier, redirect_uri="https://bank.example/other")
        assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"


def test_pkce_is_required_and_s256_only(auth_server: RunningAuth) -> None:
    pkce = Pkce.new()
    with auth_server.client() as http:
        params = bank_params(pkce)
        del params["code_challenge"], params["code_challenge_method"]
        answer = http.get("/authorize", params=params)
        assert answer.status_code == 303
        query = parse_qs(urlsplit(answer.headers["location"]).query)
        assert query["error"] == ["invalid_request"] and query["state"] == ["st-123"]
        plain = http.get(
            "/authorize",
            params=bank_params(pkce, code_challenge=pkce.verifier, code_challenge_method="plain"),
        )
        assert parse_qs(urlsplit(plain.headers["location"]).query)["error"] == ["invalid_request"]


def test_undeclared_category_is_invalid_authorization_details(auth_server: RunningAuth) -> None:
    pkce = Pkce.new()
    with auth_server.client() as http:
        params = bank_params(
            pkce,
            authorization_details='[{"type": "citizen_data", "datatypes": ["vehicles"]}]',
        )
        answer = http.get("/authorize", params=params)
        assert answer.status_code == 303
        query = parse_qs(urlsplit(answer.headers["location"]).query)
        assert query["error"] == ["invalid_authorization_details"]


def test_refusing_on_the_consent_page_is_access_denied(auth_server: RunningAuth) -> None:
    pkce = Pkce.new()
    with auth_server.client() as http:
        answer = authorize(http, bank_params(pkce), ANNA, ["income"], decision="refuse")
        assert answer["error"] == "access_denied" and answer["state"] == "st-123"
        # Approving with nothing ticked is a refusal too.
        answer = authorize(http, bank_params(pkce), ANNA, [])
        assert answer["error"] == "access_denied"


def test_revoked_consent_stops_every_token_under_it(auth_server: RunningAuth) -> None:
    from tests.auth.support import gateway_claims

    pkce = Pkce.new()
    with auth_server.client() as http:
        code = code_for(http, pkce, ["income", "identity"])
        body = exchange_code(http, code, pkce.verifier).json()
        consent_id = gateway_claims(body["access_token"], auth_server.gateway.decryption)[
            "consent_id"
        ]
        ctx = auth_server.ctx
        auth_server.call(ctx.consents.revoke(consent_id, ANNA))

        introspected = http.post("/introspect", data={"token": body["access_token"]}, auth=GATEWAY)
        assert introspected.json() == {"active": False}
        refreshed = token(
            http, {"grant_type": "refresh_token", "refresh_token": body["refresh_token"]}
        )
        assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"
        userinfo = http.get(
            "/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"}
        )
        assert (
            userinfo.status_code == 401 and "invalid_token" in userinfo.headers["www-authenticate"]
        )
        consent = auth_server.call(ctx.consents.get(consent_id))
        assert consent is not None and consent.status() == "REVOKED"


def test_confidential_client_must_authenticate(auth_server: RunningAuth) -> None:
    pkce = Pkce.new()
    with auth_server.client() as http:
        code = code_for(http, pkce, ["income"])
        answer = token(
            http,
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": BANK_REDIRECT,
                "code_verifier": pkce.verifier,
            },
            auth=("bank", "wrong"),
        )
        assert answer.status_code == 401 and answer.json()["error"] == "invalid_client"
