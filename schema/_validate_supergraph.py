"""Rules only the merged supergraph can break (placeholder, filled in below)."""

from __future__ import annotations

from collections.abc import Sequence

from schema._model import SubgraphModel
from schema._supergraph import Supergraph
from schema.errors import CompositionError


def validate_supergraph(
    supergraph: Supergraph, sdl: str, models: Sequence[SubgraphModel]
) -> list[CompositionError]:
    return []
