"""Every GraphQL document of the portal is valid against the composed supergraph's API schema:
a schema change that breaks a page fails here, not in a citizen's browser."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import parse, validate

from gateway.api_schema import build_api_schema
from gateway.supergraph import parse_supergraph
from portal.graphql import DOCUMENTS, load_documents

SUPERGRAPH = Path(__file__).resolve().parents[2] / "schema" / "supergraph.graphql"
SCHEMA = build_api_schema(parse_supergraph(SUPERGRAPH.read_text()))


@pytest.mark.parametrize("name", sorted(load_documents()))
def test_the_document_is_valid_against_the_supergraph(name: str) -> None:
    errors = validate(SCHEMA, parse(load_documents()[name]))
    assert not errors, [error.message for error in errors]


def test_every_file_is_one_operation_named_as_the_file(tmp_path: Path) -> None:
    assert set(load_documents()) == {path.stem for path in DOCUMENTS.glob("*.graphql")}
    (tmp_path / "Two.graphql").write_text(
        "query Two { me { personalId } } query Three { me { personalId } }"
    )
    with pytest.raises(AssertionError, match="one operation named Two"):
        load_documents(tmp_path)


def test_a_schema_without_a_field_the_portal_reads_fails_validation() -> None:
    """The check above can fail: drop a field a page needs and the document is invalid."""
    sdl = SUPERGRAPH.read_text().replace("  guardianOf: [Citizen!]!", "  unused: [Citizen!]!")
    broken = build_api_schema(parse_supergraph(sdl))
    assert validate(broken, parse(load_documents()["Family"]))
