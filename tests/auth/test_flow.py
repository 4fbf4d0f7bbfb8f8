"""End to end over real HTTP, as a platform would: code + PKCE, consent for a subset,
token, refresh with rotation, revocation, introspection and userinfo."""

from __future__ import annotations

import base64

import httpx

from tests.auth.conftest import RunningAuth
from tests.auth.support import (
    ANNA,
    BANK_REDIRECT,
    GATEWAY_SECRET,
    PLATFORM_SECRET,
    Pkce,
    authorize,
    citizen_data,
    decode_header,
    decode_unverified,
    open_sealed,
)


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


BANK = ("bank", PLATFORM_SECRET)
GATEWAY = ("gateway", GATEWAY_SECRET)


def bank_params(pkce: Pkce, **extra: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": "bank",
        "redirect_uri": BANK_REDIRECT,
        "scope": "openid",
        "state": "st-123",
        "nonce": "n-456",
        "code_challenge": pkce.challenge,
        "code_challenge_method": "S256",
        "authorization_details": citizen_data(
            ["identity", "income", "address"], purpose="Mortgage application"
        ),
        **extra,
    }


def token(
    http: httpx.Client, data: dict[str, str], auth: tuple[str, str] | None = BANK
) -> httpx.Response:
    return http.post("/token", data=data, auth=auth) if auth else http.post("/token", data=data)


def code_for(http: httpx.Client, pkce: Pkce, approve: list[str]) -> str:
    answer = authorize(http, bank_params(pkce), ANNA, approve)
    assert answer["state"] == "st-123"
    return answer["code"]


def test_discovery_and_jwks(auth_server: RunningAuth) -> None:
    with auth_server.client() as http:
        config = http.get("/.well-known/openid-configuration").json()
        assert config["issuer"] == auth_server.url
        assert config["code_challenge_methods_supported"] == ["S256"]
        assert "citizen_data" in config["authorization_details_types_supported"]
        keys = http.get("/jwks.json").json()["keys"]
        assert keys and all("d" not in k for k in keys)


def test_code_flow_subset_refresh_revoke(auth_server: RunningAuth) -> None:
    pkce = Pkce.new()
    with auth_server.client() as http:
        code = code_for(http, pkce, approve=["income", "identity"])
        answer = token(
            http,
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": BANK_REDIRECT,
                "code_verifier": pkce.verifier,
            },
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        # The platform's token is sealed for the gateway: nothing in it reads as Anna's id.
        sealed = body["access_token"]
        assert decode_header(sealed) == {
            "alg": "ECDH-ES",
            "enc": "A256GCM",
            "cty": "JWT",
            "kid": auth_server.gateway.decryption.key.kid,
            "epk": decode_header(sealed)["epk"],
        }
        assert ANNA not in sealed and all(ANNA.encode() not in _b64(p) for p in sealed.split("."))
        inner = open_sealed(sealed, auth_server.gateway.decryption)
        claims = decode_unverified(inner)
        assert decode_header(inner)["typ"] == "at+jwt"
        assert set(body["scope"].split()) == {"openid", "identity:read", "income:read"}
        assert claims["iss"] == auth_server.url
        assert claims["aud"] == "citizen-account"
        # Inside, for the gateway alone: whose data it is.
        assert claims["sub"] == ANNA
        assert claims["client_id"] == "bank"
        assert claims["acr"] and claims["jti"] and claims["exp"] > claims["iat"]
        assert claims["consent_id"].startswith("cns-")
        assert claims["authorization_details"][0]["datatypes"] == ["identity", "income"]
        assert "address:read" not in claims["scope"]
        assert "id_token" in body and body["refresh_token"]
        id_token = decode_unverified(body["id_token"])
        assert id_token["nonce"] == "n-456" and id_token["aud"] == ["bank"]

        bearer = {"Authorization": f"Bearer {body['access_token']}"}
        info = http.get("/userinfo", headers=bearer).json()
        # The bank's pairwise subject; the personal id only because identity was ticked.
        assert info["sub"] != ANNA and info["sub"] == id_token["sub"]
        assert info["personal_id"] == ANNA and info["given_name"] == "Anna"
        assert id_token["personal_id"] == ANNA

        # The consent record is signed and holds only what was approved.
        ctx = auth_server.ctx
        consent = auth_server.call(ctx.consents.get(claims["consent_id"]))
        assert consent is not None and consent.status() == "ACTIVE"
        receipt = ctx.consents.verify_receipt(consent.receipt)
        assert receipt["categories"] == ["identity", "income"]
        assert receipt["sub"] == info["sub"] and receipt["controller"] == "Example Bank"
        assert consent.principal == ANNA

        # Refresh rotates: the new refresh token works, the old one is refused.
        refreshed = token(
            http, {"grant_type": "refresh_token", "refresh_token": body["refresh_token"]}
        )
        assert refreshed.status_code == 200, refreshed.text
        new = refreshed.json()
        assert new["refresh_token"] != body["refresh_token"]
        opened = decode_unverified(open_sealed(new["access_token"], auth_server.gateway.decryption))
        assert opened["consent_id"] == claims["consent_id"]

        introspected = http.post("/introspect", data={"token": new["access_token"]}, auth=GATEWAY)
        assert introspected.json()["active"] is True
        assert introspected.json()["consent_id"] == claims["consent_id"]
        assert introspected.json()["sub"] == info["sub"]

        # RFC 7009 revocation of the access token; the refresh token of the same response too.
        revoked = http.post("/revoke", data={"token": new["access_token"]}, auth=BANK)
        assert revoked.status_code == 200
        after = http.post("/introspect", data={"token": new["access_token"]}, auth=GATEWAY)
        assert after.json() == {"active": False}
        again = token(http, {"grant_type": "refresh_token", "refresh_token": new["refresh_token"]})
        assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
        gone = http.get("/userinfo", headers={"Authorization": f"Bearer {new['access_token']}"})
        assert gone.status_code == 401
