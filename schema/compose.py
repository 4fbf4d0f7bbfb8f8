"""Compose subgraph SDLs into a Federation 2 supergraph: the public entry point.

    subgraphs ─ _parse ─▶ models ─ _fed1 ─ _validate_subgraph ─▶ _merge ─▶ supergraph model
                                                                        │
                           supergraph SDL ◀─ _print ◀─ _validate_supergraph

Each stage stops the pipeline with its errors; hints never do.

    result = compose([Subgraph("population", "http://127.0.0.1:4001/graphql", sdl), ...])
    if result.errors: ...
    else: result.supergraph_sdl
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from schema._fed1 import upgrade as upgrade_federation_1
from schema._merge import merge
from schema._model import SubgraphModel
from schema._parse import parse_subgraph
from schema._print import print_supergraph
from schema._validate_subgraph import validate_subgraph
from schema._validate_supergraph import validate_supergraph
from schema.errors import CompositionError, CompositionHint

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


@dataclass(frozen=True)
class Subgraph:
    """A subgraph to compose: its name, the URL the gateway calls, and its SDL."""

    name: str
    url: str
    sdl: str


@dataclass(frozen=True)
class CompositionResult:
    """`supergraph_sdl` when composition succeeded, otherwise `errors` says why not."""

    supergraph_sdl: str | None
    errors: tuple[CompositionError, ...] = ()
    hints: tuple[CompositionHint, ...] = field(default=())


def compose(subgraphs: Sequence[Subgraph]) -> CompositionResult:
    errors = _check_names(subgraphs)
    if errors:
        return CompositionResult(None, tuple(errors))
    models: list[SubgraphModel] = []
    for subgraph in sorted(subgraphs, key=lambda s: s.name):
        parsed = parse_subgraph(subgraph.name, subgraph.url, subgraph.sdl)
        if isinstance(parsed, list):
            errors.extend(parsed)
        else:
            models.append(parsed)
    errors.extend(upgrade_federation_1(models))
    for model in models:
        errors.extend(validate_subgraph(model))
    if errors:
        return CompositionResult(None, tuple(errors))
    merged = merge(models)
    if merged.errors:
        return CompositionResult(None, tuple(merged.errors), tuple(merged.hints))
    sdl = print_supergraph(merged.supergraph)
    errors = validate_supergraph(merged.supergraph, sdl, models)
    if errors:
        return CompositionResult(None, tuple(errors), tuple(merged.hints))
    return CompositionResult(sdl, (), tuple(merged.hints))


def _check_names(subgraphs: Sequence[Subgraph]) -> list[CompositionError]:
    errors = []
    if not subgraphs:
        errors.append(CompositionError("NO_SUBGRAPHS", "there are no subgraphs to compose"))
    seen: set[str] = set()
    for subgraph in subgraphs:
        if not _NAME.match(subgraph.name) or subgraph.name == "_":
            errors.append(
                CompositionError(
                    "INVALID_SUBGRAPH_NAME",
                    f'invalid subgraph name "{subgraph.name}": use letters, digits, _ and -',
                    subgraph.name,
                )
            )
        elif subgraph.name in seen:
            errors.append(
                CompositionError(
                    "INVALID_SUBGRAPH_NAME",
                    f'subgraph name "{subgraph.name}" is used more than once',
                    subgraph.name,
                )
            )
        seen.add(subgraph.name)
    return errors
