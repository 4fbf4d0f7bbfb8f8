from __future__ import annotations

import pytest
from starlette.requests import Request

from subgraphs.common.errors import Forbidden, Unauthenticated
from subgraphs.common.identity import current_personal_id, require_personal_id
from subgraphs.common.settings import AgencySettings


def _request(headers: dict[str, str]) -> Request:
    raw = [(k.encode(), v.encode()) for k, v in headers.items()]
    return Request({"type": "http", "method": "POST", "path": "/graphql", "headers": raw})


DEVELOPMENT = AgencySettings(env="development", dev_personal_id="19900101-0001")


def test_the_header_wins_over_the_setting() -> None:
    request = _request({"x-citizen-dev-identity": "19800101-0002"})
    assert current_personal_id(request, DEVELOPMENT) == "19800101-0002"
    assert current_personal_id(_request({}), DEVELOPMENT) == "19900101-0001"


def test_nobody_is_signed_in_without_either() -> None:
    settings = AgencySettings(env="development")
    assert current_personal_id(_request({}), settings) is None
    with pytest.raises(Unauthenticated):
        require_personal_id(_request({}), settings)


def test_the_header_is_refused_outside_development() -> None:
    request = _request({"x-citizen-dev-identity": "19800101-0002"})
    with pytest.raises(Forbidden, match="CITIZEN_ENV=development"):
        current_personal_id(request, AgencySettings(env="production"))
