"""Immutable selection trees: what operations and federation field sets are made of.

Both the client's operation (stage 2) and the supergraph's `@key`/`@requires`/`@provides`
field sets (stage 1) are turned into these, so the planner walks one kind of tree.

    SelectionSet ─ items: (Field | InlineFragment, ...)
    Field        ─ response_key, name, arguments (printed), selection_set | None, denied
    InlineFragment ─ type_condition | None, selection_set
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    ArgumentNode,
    FieldNode,
    InlineFragmentNode,
    SelectionSetNode,
    VariableNode,
    Visitor,
    parse,
    print_ast,
    visit,
)


@dataclass(frozen=True, slots=True)
class Field:
    response_key: str
    name: str
    arguments: str  # printed `(a: 1, b: $v)` or "", forwarded verbatim to subgraphs
    variables: frozenset[str]  # variables used in `arguments`
    selection_set: SelectionSet | None
    # Set only in the selection the response shaping walks (gateway/authorization.py): the
    # caller may not see this field, which the planner's selection therefore leaves out.
    denied: bool = False

    @property
    def alias(self) -> str | None:
        return None if self.response_key == self.name else self.response_key


@dataclass(frozen=True, slots=True)
class InlineFragment:
    type_condition: str | None
    selection_set: SelectionSet


Selection = Field | InlineFragment


@dataclass(frozen=True, slots=True)
class SelectionSet:
    items: tuple[Selection, ...]
    # Memos per runtime type of what later stages derive from this selection (the collected
    # fields, the response shaping's field plan). Selections are built once and cached, so
    # per-object work on the hot path becomes a dict lookup.
    _collected: dict[str, dict[str, Field]] = field(
        default_factory=dict, compare=False, hash=False, repr=False
    )
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def __bool__(self) -> bool:
        return bool(self.items)

    def collect_fields(
        self, type_name: str, possible_types: Mapping[str, frozenset[str]]
    ) -> dict[str, Field]:
        """The fields that apply to an object of `type_name`, merged by response key.

        Follows the spec's CollectFields: fragments apply when their type condition is the
        object type or an abstract type containing it; fields sharing a response key merge
        their sub-selections in order.
        """
        collected = self._collected.get(type_name)
        if collected is None:
            collected = _merge_same_keys(self._gather(type_name, possible_types))
            self._collected[type_name] = collected
        return collected

    def _gather(self, type_name: str, possible_types: Mapping[str, frozenset[str]]) -> list[Field]:
        fields: list[Field] = []
        for item in self.items:
            if isinstance(item, Field):
                fields.append(item)
            elif applies(item.type_condition, type_name, possible_types):
                fields.extend(item.selection_set._gather(type_name, possible_types))
        return fields


def applies(
    type_condition: str | None, type_name: str, possible_types: Mapping[str, frozenset[str]]
) -> bool:
    if type_condition is None or type_condition == type_name:
        return True
    return type_name in possible_types.get(type_condition, ())


def _merge_same_keys(fields: list[Field]) -> dict[str, Field]:
    merged: dict[str, Field] = {}
    for item in fields:
        existing = merged.get(item.response_key)
        if existing is None:
            merged[item.response_key] = item
        elif existing.selection_set is not None and item.selection_set is not None:
            merged[item.response_key] = Field(
                existing.response_key,
                existing.name,
                existing.arguments,
                existing.variables,
                SelectionSet(existing.selection_set.items + item.selection_set.items),
                # Denied where it is selected once is denied: fail closed, although another
                # place selecting it (a fragment on one implementation) may have passed.
                existing.denied or item.denied,
            )
        elif item.denied and not existing.denied:
            merged[item.response_key] = item
    return merged


def from_ast(node: SelectionSetNode) -> SelectionSet:
    """Convert a graphql-core selection set that holds no fragment spreads."""
    items: list[Selection] = []
    for selection in node.selections:
        if isinstance(selection, FieldNode):
            sub = from_ast(selection.selection_set) if selection.selection_set else None
            items.append(
                Field(
                    selection.alias.value if selection.alias else selection.name.value,
                    selection.name.value,
                    print_arguments(selection.arguments),
                    variables_in(selection.arguments),
                    sub,
                )
            )
        elif isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition.name.value if selection.type_condition else None
            items.append(InlineFragment(condition, from_ast(selection.selection_set)))
        else:
            raise ValueError("fragment spreads must be inlined before conversion")
    return SelectionSet(tuple(items))


def parse_field_set(text: str) -> SelectionSet:
    """Parse a federation FieldSet (`"id organization { id }"`)."""
    document = parse("{" + text + "}", no_location=True)
    operation = document.definitions[0]
    return from_ast(operation.selection_set)  # type: ignore[attr-defined]


def print_arguments(arguments: tuple[ArgumentNode, ...] | list[ArgumentNode] | None) -> str:
    if not arguments:
        return ""
    return "(" + ", ".join(f"{a.name.value}: {print_ast(a.value)}" for a in arguments) + ")"


class _VariableCollector(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def enter_variable(self, node: VariableNode, *_: object) -> None:
        self.names.add(node.name.value)


def variables_in(arguments: tuple[ArgumentNode, ...] | list[ArgumentNode] | None) -> frozenset[str]:
    if not arguments:
        return frozenset()
    collector = _VariableCollector()
    for argument in arguments:
        visit(argument, collector)
    return frozenset(collector.names)


def print_selection_set(selection_set: SelectionSet) -> str:
    """Compact one-line GraphQL text, the form subgraph requests are sent in."""
    parts: list[str] = []
    for item in selection_set.items:
        if isinstance(item, Field):
            head = f"{item.response_key}:{item.name}" if item.alias else item.name
            text = head + item.arguments
            if item.selection_set is not None:
                text += print_selection_set(item.selection_set)
            parts.append(text)
        else:
            condition = f"... on {item.type_condition}" if item.type_condition else "..."
            parts.append(condition + print_selection_set(item.selection_set))
    return "{" + " ".join(parts) + "}"
