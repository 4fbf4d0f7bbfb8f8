"""Rules only the merged supergraph can break: it must be a valid schema with queries, its
@inaccessible elements must leave a consistent API, and every query clients can write must be
plannable over the subgraphs ("satisfiability", checked in `_satisfiability` over the query graph
the way Apollo's composition defines it; docs/composition.md says where the two differ).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from graphql import GraphQLError, build_ast_schema, parse, validate_schema

from schema._model import Applied, SubgraphModel, is_required, named_type
from schema._satisfiability import check_satisfiability
from schema._supergraph import Supergraph, SuperType
from schema.errors import CompositionError


def validate_supergraph(
    supergraph: Supergraph, sdl: str, models: Sequence[SubgraphModel]
) -> list[CompositionError]:
    errors = _graphql_validity(sdl) + _has_queries(supergraph)
    if errors:
        return errors
    return _inaccessible(supergraph) + check_satisfiability(supergraph, models)


def _graphql_validity(sdl: str) -> list[CompositionError]:
    try:
        schema = build_ast_schema(parse(sdl))
    except (GraphQLError, TypeError) as error:
        return [CompositionError("INVALID_GRAPHQL", str(error))]
    errors = []
    for invalid in validate_schema(schema):
        missing = "does not provide it" in invalid.message
        code = "INTERFACE_FIELD_NO_IMPLEM" if missing else "INVALID_GRAPHQL"
        errors.append(CompositionError(code, invalid.message))
    return errors


def _has_queries(supergraph: Supergraph) -> list[CompositionError]:
    query = supergraph.types.get("Query")
    if query is None or not query.fields:
        return [
            CompositionError(
                "NO_QUERIES",
                "No queries found in any subgraph: a supergraph must have a query root type.",
            )
        ]
    return []


# -- @inaccessible ---------------------------------------------------------------------------


def _is_inaccessible(directives: Sequence[Applied]) -> bool:
    return any(d.name == "inaccessible" for d in directives)


def _inaccessible(supergraph: Supergraph) -> list[CompositionError]:
    hidden = {t.name for t in supergraph.types.values() if _is_inaccessible(t.directives)}
    errors = []
    if "Query" in hidden:
        errors.append(
            CompositionError(
                "QUERY_ROOT_TYPE_INACCESSIBLE",
                'Type "Query" is @inaccessible but is the query root type, which must be in the'
                " API schema.",
                element="Query",
            )
        )
    for t in supergraph.types.values():
        if t.name in hidden:
            continue
        children: list[tuple[str, bool]] = []  # (element, hidden)
        for f in t.fields.values():
            element = f"{t.name}.{f.name}"
            field_hidden = _is_inaccessible(f.directives)
            children.append((element, field_hidden))
            if field_hidden:
                if t.kind == "INPUT_OBJECT" and is_required(f.type, f.default):
                    errors.append(_required_inaccessible(element, "Input field"))
                continue
            if named_type(f.type) in hidden:
                errors.append(_referenced(element, named_type(f.type)))
            for arg in f.args:
                arg_element = f"{element}({arg.name}:)"
                if _is_inaccessible(arg.directives):
                    if is_required(arg.type, arg.default):
                        errors.append(_required_inaccessible(arg_element, "Argument"))
                elif named_type(arg.type) in hidden:
                    errors.append(_referenced(arg_element, named_type(arg.type)))
        children += [
            (f"{t.name}.{v.name}", _is_inaccessible(v.directives)) for v in t.values.values()
        ]
        if children and all(child_hidden for _, child_hidden in children):
            errors.append(
                CompositionError(
                    "ONLY_INACCESSIBLE_CHILDREN",
                    f'Type "{t.name}" is in the API schema but all of its members are'
                    " @inaccessible.",
                    element=t.name,
                )
            )
        errors.extend(_implemented_by_inaccessible(supergraph, t))
    return errors


def _implemented_by_inaccessible(
    supergraph: Supergraph, t: SuperType
) -> Iterator[CompositionError]:
    for interface_name in t.interfaces:
        interface = supergraph.types.get(interface_name)
        if interface is None or _is_inaccessible(interface.directives):
            continue
        for name, interface_field in interface.fields.items():
            field = t.fields.get(name)
            if (
                field is not None
                and _is_inaccessible(field.directives)
                and not _is_inaccessible(interface_field.directives)
            ):
                yield CompositionError(
                    "IMPLEMENTED_BY_INACCESSIBLE",
                    f'Field "{t.name}.{name}" is @inaccessible but implements the interface field'
                    f' "{interface_name}.{name}", which is in the API schema.',
                    element=f"{t.name}.{name}",
                )


def _referenced(element: str, type_name: str) -> CompositionError:
    return CompositionError(
        "REFERENCED_INACCESSIBLE",
        f'Type "{type_name}" is @inaccessible but is referenced by "{element}", which is in the'
        " API schema.",
        element=element,
    )


def _required_inaccessible(element: str, what: str) -> CompositionError:
    return CompositionError(
        "REQUIRED_INACCESSIBLE",
        f'{what} "{element}" is required but is @inaccessible, so clients could never supply it.',
        element=element,
    )
