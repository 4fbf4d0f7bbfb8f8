"""Operator settings that bound a request: a per-subgraph timeout shorter than the default,
and the request body limit (fixtures/partial_failure)."""

import time

from tests.gateway.kit.federation import REFERENCE, Federation, GatewayClient
from tests.gateway.kit.subgraph import Fault

TOPIC = "partial_failure"
GATEWAY_SETTINGS = {
    "subgraph_timeout": 30,
    "subgraph_timeouts": {"reviews": 0.3},
    "max_request_bytes": 2048,
    "mask_subgraph_errors": False,  # the timeout's message is read
}

if REFERENCE:  # settings of this gateway only
    import pytest

    pytest.skip("gateway settings are ours", allow_module_level=True)


async def test_a_subgraph_timeout_overrides_the_default(gw: GatewayClient, fed: Federation) -> None:
    fed.subgraphs["reviews"].fault = Fault.slow(3)
    started = time.monotonic()
    status, body = await gw.query("{ users { name reviews { body } } }")
    assert time.monotonic() - started < 2.5
    assert status == 200
    assert body["data"]["users"][0] == {"name": "Ada", "reviews": None}
    assert {e["extensions"]["code"] for e in body["errors"]} == {"SUBREQUEST_TIMEOUT"}
    assert "0.3s" in body["errors"][0]["message"]


async def test_a_body_over_the_limit_is_refused(gw: GatewayClient) -> None:
    padding = " " * 3000
    status, body = await gw.query("{ users { name } }" + padding)
    assert status == 413
    assert body["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
