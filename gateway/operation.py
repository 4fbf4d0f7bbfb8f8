"""Stage 2: turn a client document into a normalised operation the planner can read.

    parse within the limits (limits.py) ─▶ validate against the API schema
          ─▶ pick the operation                              (once per document)
          ─▶ inline fragments, apply @skip/@include          (once per values of the conditions)

`@skip`/`@include` are decided here rather than forwarded: the normalised operation, and so
its plan, depends only on the document and the booleans of the variables those directives
use, which makes both cacheable. Root introspection fields are split off and answered locally.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    BooleanValueNode,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    Node,
    OperationDefinitionNode,
    OperationType,
    SelectionNode,
    SelectionSetNode,
    VariableNode,
    print_ast,
    validate,
)

from gateway.errors import GRAPHQL_VALIDATION_FAILED, OPERATION_NOT_SUPPORTED
from gateway.limits import LimitExceeded, RequestLimits, parse_within_limits
from gateway.selection import (
    Field,
    InlineFragment,
    Selection,
    SelectionSet,
    print_arguments,
    variables_in,
)

INTROSPECTION_ROOT_FIELDS = frozenset({"__schema", "__type"})


class RequestError(Exception):
    """The request cannot be executed; `errors` are in the GraphQL error shape."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(errors[0]["message"] if errors else "invalid request")
        self.errors = errors


@dataclass(frozen=True)
class Operation:
    """One operation with fragments inlined and conditions applied: the planner's input."""

    kind: str  # query | mutation | subscription
    root_type: str
    selection_set: SelectionSet
    # Root introspection fields (`__schema`, `__type`), answered from the API schema; the
    # planner leaves them out and the response shaping copies their result in.
    introspection: DocumentNode | None
    variable_definitions: Mapping[str, str]  # name -> "$name: Type = default" for subgraphs


@dataclass
class PreparedDocument:
    """A parsed, validated document with one chosen operation; cached per request text."""

    document: DocumentNode
    operation: OperationDefinitionNode
    fragments: Mapping[str, FragmentDefinitionNode]
    condition_variables: tuple[str, ...]  # variables read by @skip/@include, in a fixed order
    # Per condition values: the normalised operation and whatever later stages attach to it.
    by_conditions: dict[tuple[Any, ...], Any] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return self.operation.operation.value

    def condition_key(self, variables: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple(variables.get(name) for name in self.condition_variables)


def prepare(
    schema: GraphQLSchema, query: str, operation_name: str | None, limits: RequestLimits
) -> PreparedDocument:
    try:
        document = parse_within_limits(query, limits)
    except LimitExceeded as error:
        raise RequestError([error.formatted]) from None
    except GraphQLError as error:
        raise RequestError([dict(error.formatted)]) from None
    errors = validate(schema, document)
    if errors:
        raise RequestError([dict(e.formatted) for e in errors])
    # Errors point into the query through locations; a valid document is cached without them,
    # about 40% smaller (they hold the lexer's whole token chain).
    _forget_locations(document)
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is None:
        if len(operations) != 1:
            raise RequestError(
                [{"message": "The document holds several operations: give operationName."}]
            )
        operation = operations[0]
    else:
        matching = [o for o in operations if o.name and o.name.value == operation_name]
        if not matching:
            raise RequestError([{"message": f"Unknown operation named '{operation_name}'."}])
        operation = matching[0]
    kind = operation.operation.value
    if schema.get_root_type(operation.operation) is None:
        raise RequestError(
            [
                {
                    "message": f"The schema has no {kind} type.",
                    "extensions": {"code": GRAPHQL_VALIDATION_FAILED},
                }
            ]
        )
    if operation.operation == OperationType.SUBSCRIPTION:
        raise RequestError(
            [
                {
                    "message": "Subscriptions are not supported by this gateway.",
                    "extensions": {"code": OPERATION_NOT_SUPPORTED},
                }
            ]
        )
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    return PreparedDocument(
        document, operation, fragments, _condition_variables(operation, fragments)
    )


def _forget_locations(document: DocumentNode) -> None:
    stack: list[Node] = [document]
    while stack:
        node = stack.pop()
        node.loc = None
        for key in node.keys:
            value = getattr(node, key, None)
            if isinstance(value, Node):
                stack.append(value)
            elif isinstance(value, tuple | list):
                stack.extend(item for item in value if isinstance(item, Node))


def normalise(
    schema: GraphQLSchema, prepared: PreparedDocument, variables: Mapping[str, Any]
) -> Operation:
    operation = prepared.operation
    root = schema.get_root_type(operation.operation)
    assert root is not None, "validation guarantees the root type exists"
    normaliser = _Normaliser(prepared.fragments, variables)
    selections = normaliser.selections(operation.selection_set)
    introspection: list[SelectionNode] = list(normaliser.kept_introspection.values())
    return Operation(
        kind=operation.operation.value,
        root_type=root.name,
        selection_set=SelectionSet(selections),
        introspection=_introspection_document(introspection, operation, prepared.fragments)
        if introspection
        else None,
        variable_definitions={
            d.variable.name.value: f"${d.variable.name.value}: {print_ast(d.type)}"
            + (f" = {print_ast(d.default_value)}" if d.default_value else "")
            for d in operation.variable_definitions
        },
    )


class _Normaliser:
    def __init__(
        self, fragments: Mapping[str, FragmentDefinitionNode], variables: Mapping[str, Any]
    ) -> None:
        self.fragments = fragments
        self.variables = variables
        self.kept_introspection: dict[str, FieldNode] = {}
        self.at_root = True

    def included(self, directives: tuple[DirectiveNode, ...] | None) -> bool:
        for directive in directives or ():
            name = directive.name.value
            if name not in ("skip", "include"):
                continue
            value_node = directive.arguments[0].value
            if isinstance(value_node, VariableNode):
                value = bool(self.variables.get(value_node.name.value))
            else:
                assert isinstance(value_node, BooleanValueNode)
                value = value_node.value
            if (name == "skip") == value:
                return False
        return True

    def selections(self, node: SelectionSetNode) -> tuple[Selection, ...]:
        items: list[Selection] = []
        for selection in node.selections:
            if not self.included(selection.directives):
                continue
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                if selection.name.value in INTROSPECTION_ROOT_FIELDS and self.at_root:
                    self.kept_introspection[key] = selection
                sub = None
                if selection.selection_set:
                    at_root, self.at_root = self.at_root, False
                    sub = SelectionSet(self.selections(selection.selection_set))
                    self.at_root = at_root
                items.append(
                    Field(
                        key,
                        selection.name.value,
                        print_arguments(selection.arguments),
                        variables_in(selection.arguments),
                        sub,
                    )
                )
            elif isinstance(selection, InlineFragmentNode):
                condition = (
                    selection.type_condition.name.value if selection.type_condition else None
                )
                items.append(
                    InlineFragment(
                        condition, SelectionSet(self.selections(selection.selection_set))
                    )
                )
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments[selection.name.value]
                items.append(
                    InlineFragment(
                        fragment.type_condition.name.value,
                        SelectionSet(self.selections(fragment.selection_set)),
                    )
                )
        return tuple(items)


def _condition_variables(
    operation: OperationDefinitionNode, fragments: Mapping[str, FragmentDefinitionNode]
) -> tuple[str, ...]:
    names: list[str] = []
    seen_fragments: set[str] = set()

    def walk(node: SelectionSetNode) -> None:
        for selection in node.selections:
            for directive in selection.directives or ():
                if directive.name.value in ("skip", "include"):
                    value = directive.arguments[0].value
                    if isinstance(value, VariableNode) and value.name.value not in names:
                        names.append(value.name.value)
            if isinstance(selection, FragmentSpreadNode):
                if selection.name.value not in seen_fragments:
                    seen_fragments.add(selection.name.value)
                    walk(fragments[selection.name.value].selection_set)
            elif isinstance(selection, FieldNode | InlineFragmentNode) and selection.selection_set:
                walk(selection.selection_set)

    walk(operation.selection_set)
    return tuple(names)


def _introspection_document(
    fields: list[SelectionNode],
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
) -> DocumentNode:
    """A document holding only the root introspection fields, for local execution."""
    query = OperationDefinitionNode(
        operation=OperationType.QUERY,
        name=None,
        variable_definitions=operation.variable_definitions,
        directives=(),
        selection_set=SelectionSetNode(selections=tuple(fields)),
    )
    return DocumentNode(definitions=(query, *fragments.values()))
