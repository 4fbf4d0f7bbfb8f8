"""The data categories table: which fields each scope covers, read from a supergraph.

    supergraph SDL ─▶ gateway.supergraph model ─▶ per field: every requirement it must meet
                   ─▶ three Markdown tables      one scope; several scopes; no scope at all

The requirements are read with the gateway's own supergraph reader, so the table says what
the gateway enforces (directives renamed by `@link(as:)` included), not a second reading of
the SDL. A field needs its own requirements, those of the type it is defined on and those of
the type it returns, as gateway/authorization.py applies them.

The table lives in a Markdown file between `START_MARKER` and `END_MARKER`;
`replace_block` rewrites what is between them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from gateway.supergraph import FieldDef, Requirement, Supergraph, TypeDef, parse_supergraph

START_MARKER = "<!-- categories:start -->"
END_MARKER = "<!-- categories:end -->"


class MarkerError(ValueError):
    """The Markdown file lacks the markers that delimit the generated block."""


@dataclass(frozen=True, slots=True)
class _Guarded:
    coordinate: str  # Type.field
    agency: str
    scopes: tuple[Requirement, ...]
    others: tuple[Requirement, ...]  # @authenticated and @policy


def categories_markdown(supergraph_sdl: str) -> str:
    """The block's content: Markdown tables, ending with a newline."""
    guarded = _guarded_fields(parse_supergraph(supergraph_sdl))
    single: dict[str, list[_Guarded]] = {}
    several: list[_Guarded] = []
    unscoped: list[_Guarded] = []
    for field in guarded:
        scope = _single_scope(field.scopes)
        if scope is not None:
            single.setdefault(scope, []).append(field)
        elif field.scopes:
            several.append(field)
        else:
            unscoped.append(field)
    lines = [
        "<!-- Generated from schema/supergraph.graphql by "
        "`python -m schema categories --write docs/platforms.md`; do not edit by hand. -->",
        "",
        "| category | scope | field | agency | also needs |",
        "|---|---|---|---|---|",
    ]
    for scope in sorted(single):
        category = scope.removesuffix(":read") if scope.endswith(":read") else "—"
        for field in single[scope]:
            also = _describe(field.others)
            lines.append(
                f"| {category} | `{scope}` | `{field.coordinate}` | {field.agency} | {also} |"
            )
    if several:
        lines += [
            "",
            "Fields that need more than one scope, or one of several:",
            "",
            "| field | agency | needs |",
            "|---|---|---|",
        ]
        for field in several:
            needs = _describe(field.scopes + field.others)
            lines.append(f"| `{field.coordinate}` | {field.agency} | {needs} |")
    if unscoped:
        lines += [
            "",
            "Fields that need no scope, only a signed-in caller or a policy:",
            "",
            "| field | agency | needs |",
            "|---|---|---|",
        ]
        for field in unscoped:
            lines.append(f"| `{field.coordinate}` | {field.agency} | {_describe(field.others)} |")
    return "\n".join(lines) + "\n"


def replace_block(document: str, block: str) -> str:
    """`document` with what lies between the markers replaced by `block`."""
    start = document.find(START_MARKER)
    end = document.find(END_MARKER)
    if start < 0 or end < 0 or end < start:
        raise MarkerError(f"expected {START_MARKER} and then {END_MARKER}")
    head = document[: start + len(START_MARKER)]
    return f"{head}\n{block}{document[end:]}"


def _guarded_fields(supergraph: Supergraph) -> list[_Guarded]:
    found = []
    for type_name in sorted(supergraph.types):
        type_def = supergraph.types[type_name]
        for field_name in sorted(type_def.fields):
            field = type_def.fields[field_name]
            returned = supergraph.types.get(field.type_name)
            requirements = _unique(
                (
                    *field.requirements,
                    *type_def.requirements,
                    *(returned.requirements if returned is not None else ()),
                )
            )
            if not requirements:
                continue
            found.append(
                _Guarded(
                    coordinate=f"{type_name}.{field_name}",
                    agency=_agency(supergraph, type_def, field),
                    scopes=tuple(r for r in requirements if r.directive == "requiresScopes"),
                    others=tuple(r for r in requirements if r.directive != "requiresScopes"),
                )
            )
    return found


def _unique(requirements: Iterable[Requirement]) -> tuple[Requirement, ...]:
    return tuple(dict.fromkeys(requirements))


def _agency(supergraph: Supergraph, type_def: TypeDef, field: FieldDef) -> str:
    # A field without @join__field is resolved by every subgraph defining its type.
    graphs = field.resolvers.keys() or type_def.graphs
    names = sorted(supergraph.graphs[graph].name for graph in graphs)
    return ", ".join(names) or "—"


def _single_scope(scopes: tuple[Requirement, ...]) -> str | None:
    if len(scopes) == 1 and len(scopes[0].groups) == 1 and len(scopes[0].groups[0]) == 1:
        return next(iter(scopes[0].groups[0]))
    return None


def _describe(requirements: tuple[Requirement, ...]) -> str:
    """Requirements in words: each must be met; within one, any group, all of a group."""
    return "; ".join(_describe_one(requirement) for requirement in requirements)


def _describe_one(requirement: Requirement) -> str:
    if requirement.directive == "authenticated":
        return "`@authenticated`"
    alternatives = [
        " and ".join(f"`{item}`" for item in sorted(group)) or "nothing"
        for group in requirement.groups
    ]
    if not alternatives:
        return f"`@{requirement.directive}`, which nobody meets"
    if len(alternatives) > 1:
        alternatives = [f"({a})" if " and " in a else a for a in alternatives]
    return f"`@{requirement.directive}` " + " or ".join(alternatives)
