"""The secured supergraph of the `ours-auth` variant, derived from bench/supergraph.graphql."""

from __future__ import annotations

import pytest

from bench import trust
from bench.runner import SUPERGRAPH
from gateway.supergraph import parse_supergraph


def test_secure_applies_every_requirement_once() -> None:
    secured = trust.secure(SUPERGRAPH.read_text())
    supergraph = parse_supergraph(secured)

    required = {
        (type_name, field_name): [r.directive for r in field_def.requirements]
        for type_name, type_def in supergraph.types.items()
        for field_name, field_def in type_def.fields.items()
        if field_def.requirements
    }
    assert required == {
        key: [directive[1:].split("(")[0]] for key, directive in trust.REQUIREMENTS.items()
    }
    scopes = supergraph.types["Review"].fields["product"].requirements[0].groups
    assert scopes == (frozenset({"products:read"}),)
    assert secured.count('@requiresScopes(scopes: [["') == 3


def test_secure_refuses_a_supergraph_without_the_fields() -> None:
    text = SUPERGRAPH.read_text().replace("  reviews: [Review]", "  critiques: [Review]")
    with pytest.raises(ValueError, match="reviews"):
        trust.secure(text)
