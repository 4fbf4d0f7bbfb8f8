"""The platform's subgraphs: the one list `python -m schema compose` composes by default.

Each entry names the subgraph (its join__Graph name), the URL the gateway calls on a one-machine
set-up, and where its schema object lives so the SDL is taken in-process, without a running
server. An agency adding a subgraph adds one line here and runs `make compose`; the test
tests/schema/test_compose_platform.py fails while the committed supergraph is stale.

    PlatformSubgraph(
        "population", "http://127.0.0.1:4001/graphql", "subgraphs.population.schema:schema"
    ),
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SUPERGRAPH_PATH = Path(__file__).resolve().parent / "supergraph.graphql"


@dataclass(frozen=True)
class PlatformSubgraph:
    name: str
    url: str
    schema: str  # "module.path:attribute" of a strawberry (or graphql-core) schema object


# Ports follow launcher/services.py: agencies on base port 4000 + 101..., auth on 4000 + 1.
PLATFORM_SUBGRAPHS: tuple[PlatformSubgraph, ...] = (
    PlatformSubgraph(
        "population", "http://127.0.0.1:4101/graphql", "subgraphs.population.schema:schema"
    ),
    PlatformSubgraph("tax", "http://127.0.0.1:4102/graphql", "subgraphs.tax.schema:schema"),
    PlatformSubgraph(
        "social_insurance",
        "http://127.0.0.1:4103/graphql",
        "subgraphs.social_insurance.schema:schema",
    ),
    PlatformSubgraph(
        "transport", "http://127.0.0.1:4104/graphql", "subgraphs.transport.schema:schema"
    ),
    PlatformSubgraph(
        "business", "http://127.0.0.1:4105/graphql", "subgraphs.business.schema:schema"
    ),
    PlatformSubgraph(
        "life_events", "http://127.0.0.1:4106/graphql", "subgraphs.life_events.schema:schema"
    ),
    PlatformSubgraph("consent", "http://127.0.0.1:4001/graphql", "auth.subgraph:schema"),
)
