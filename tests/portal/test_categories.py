"""The agency each category of "My information" names is the subgraph that resolves its fields
in the composed supergraph (`@join__field(graph: ...)`), so the mapping cannot go stale."""

from __future__ import annotations

from pathlib import Path

from graphql import FieldNode, OperationDefinitionNode, parse

from gateway.supergraph import parse_supergraph
from portal.categories import CATEGORIES
from portal.graphql import load_documents

SUPERGRAPH = parse_supergraph(
    (Path(__file__).resolve().parents[2] / "schema" / "supergraph.graphql").read_text()
)


def test_each_category_names_the_subgraph_that_resolves_its_fields() -> None:
    citizen = SUPERGRAPH.types["Citizen"].fields
    graphs = {graph.enum_value: graph.name for graph in SUPERGRAPH.graphs.values()}
    for category in CATEGORIES:
        for field in category.fields:
            resolvers = {graphs[g] for g in citizen[field].resolvers}
            assert resolvers == {category.agency}, (category.name, field, resolvers)


def test_each_categorys_document_asks_for_exactly_its_fields() -> None:
    documents = load_documents()
    for category in CATEGORIES:
        [operation] = parse(documents[category.document]).definitions
        assert isinstance(operation, OperationDefinitionNode)
        [me] = operation.selection_set.selections
        assert isinstance(me, FieldNode) and me.selection_set is not None
        asked = [s.name.value for s in me.selection_set.selections if isinstance(s, FieldNode)]
        assert asked == list(category.fields), category.name
    assert [c.name for c in CATEGORIES] == [
        "identity",
        "address",
        "family",
        "income",
        "tax",
        "benefits",
        "vehicles",
        "business",
    ]
