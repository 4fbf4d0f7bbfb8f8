"""No way around the gateway: an agency answers only requests carrying an identity token the
gateway signed for that agency, in the running platform, `_entities` included."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import orjson
import pytest
from joserfc.jwk import OKPKey

from gateway.authentication import Caller
from gateway.identity import IdentitySigner
from launcher.services import AGENCIES
from tests.trust_chain.people import find_people
from tests.trust_chain.platform import Platform

pytestmark = pytest.mark.slow

ENTITIES = (
    "query($r: [_Any!]!) { _entities(representations: $r) { ... on Citizen { personalId } } }"
)


def _signer(data_dir: Path, ttl: int = 30) -> IdentitySigner:
    """The gateway's own key, as an insider who stole it (or a test) would use it."""
    key = OKPKey.import_key(
        orjson.loads((data_dir / "gateway-keys" / "signing-key.json").read_bytes())
    )
    return IdentitySigner(
        key, issuer="urn:citizen-account:gateway", ttl=ttl, forwarded_claims=("sub", "authority")
    )


@pytest.mark.parametrize("agency", [*AGENCIES, "consent"])
def test_an_agency_refuses_anything_but_its_own_identity_token(
    platform: Platform, agency: str
) -> None:
    url = f"{platform.auth}/graphql" if agency == "consent" else platform.subgraph(agency)
    parent = find_people(platform.data_dir, date.today()).parent
    variables = {"r": [{"__typename": "Citizen", "personalId": parent}]}
    own_access_token = platform.own_token(parent)
    citizen = Caller.from_claims({"sub": parent, "authority": "self"})
    signer = _signer(platform.data_dir)
    other = "tax" if agency != "tax" else "population"
    cases = {
        "no token": None,
        "the citizen's access token": own_access_token,
        "an identity token for another agency": signer.for_request(citizen, None)
        .authorization(other)
        .removeprefix("Bearer "),
    }
    for case, token in cases.items():
        response = platform.post(ENTITIES, token, url=url, **variables)
        assert response.status_code == 401, (agency, case, response.text)
        body = response.json()
        assert "data" not in body and body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # The same request with the token the gateway would send is answered.
    token = signer.for_request(citizen, None).authorization(agency).removeprefix("Bearer ")
    response = platform.post(ENTITIES, token, url=url, **variables)
    assert response.status_code == 200, response.text
    assert response.json()["data"]["_entities"] == [{"personalId": parent}]
