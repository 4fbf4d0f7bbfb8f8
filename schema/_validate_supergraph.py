"""Rules only the merged supergraph can break: it must be a valid schema with queries, its
@inaccessible elements must leave a consistent API, and every field must be resolvable.

The resolvability check ("satisfiability") is a simplification of Apollo's, which walks a query
graph of every path: here, for each subgraph S reaching an object type T, every field of T must be
resolvable in S or in a subgraph reachable from S by hopping through T's @keys (a hop needs the
key's top-level fields on T in the subgraph hopped from). docs/composition.md lists what it misses.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from graphql import GraphQLError, build_ast_schema, parse, validate_schema

from schema._fieldset import parse_field_set
from schema._model import Applied, SubgraphModel, is_required, named_type
from schema._supergraph import Supergraph, SuperType
from schema.errors import CompositionError


def validate_supergraph(
    supergraph: Supergraph, sdl: str, models: Sequence[SubgraphModel]
) -> list[CompositionError]:
    errors = _graphql_validity(sdl) + _has_queries(supergraph)
    if errors:
        return errors
    return _inaccessible(supergraph) + _satisfiability(supergraph, models)


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


# -- satisfiability --------------------------------------------------------------------------


def _reachable_types(model: SubgraphModel) -> set[str]:
    """Types a query can reach in this subgraph: from its roots and its resolvable entities."""
    provided = any(f.provides for t in model.types.values() for f in t.fields.values())
    pending = list(model.roots.values())
    pending += [t.name for t in model.types.values() if any(k.resolvable for k in t.keys)]
    reached: set[str] = set()
    while pending:
        name = pending.pop()
        type_def = model.types.get(name)
        if name in reached or type_def is None:
            continue
        reached.add(name)
        if type_def.kind in ("INTERFACE", "UNION"):
            pending.extend(model.implementations(name))
        for field in type_def.fields.values():
            # An @external field is only declared here (for @requires or a key): queries
            # never reach its type through this subgraph, unless a @provides hands it over.
            if type_def.kind != "INPUT_OBJECT" and (not field.external or provided):
                pending.append(named_type(field.type))
    return reached


def _top_level_key_fields(fields: str) -> set[str]:
    try:
        selection_set = parse_field_set(fields)
    except GraphQLError:
        return set()
    return {s.name.value for s in selection_set.selections if hasattr(s, "name")}


class _Resolvers:
    """Where each field of an object type can be resolved, and how subgraphs hop between."""

    def __init__(self, supergraph: Supergraph, models: Sequence[SubgraphModel]) -> None:
        self.supergraph = supergraph
        self.models = {m.name: m for m in models}
        self.overridden: set[tuple[str, str, str]] = {
            (field.override_from, t.name, field.name)
            for m in models
            for t in m.types.values()
            for field in t.fields.values()
            if field.override_from is not None and field.override_label is None
        }

    def resolving(self, type_name: str, field_name: str) -> set[str]:
        subgraphs = set()
        for model in self.models.values():
            type_def = model.types.get(type_name)
            field = type_def.fields.get(field_name) if type_def else None
            if (
                field is not None
                and not field.external
                and ((model.name, type_name, field_name) not in self.overridden)
            ):
                subgraphs.add(model.name)
        return subgraphs

    def hops(self, type_name: str, origin: str) -> set[str]:
        """Subgraphs reachable from `origin` for an object of `type_name`, origin included."""
        interfaces = self.supergraph.types[type_name].interfaces
        reached = {origin}
        pending = [origin]
        while pending:
            here = self.models[pending.pop()].types.get(type_name)
            if here is None:
                continue
            for model in self.models.values():
                if model.name in reached:
                    continue
                targets = [model.types.get(type_name)] + [
                    model.types[i]
                    for i in interfaces
                    if i in model.types and model.types[i].interface_object
                ]
                if any(
                    key.resolvable and _top_level_key_fields(key.fields) <= set(here.fields)
                    for target in targets
                    if target is not None
                    for key in target.keys
                ):
                    reached.add(model.name)
                    pending.append(model.name)
        return reached

    def resolving_via_interface_objects(self, type_name: str, field_name: str) -> set[str]:
        return {
            model.name
            for model in self.models.values()
            for i in self.supergraph.types[type_name].interfaces
            if i in model.types
            and model.types[i].interface_object
            and field_name in model.types[i].fields
        }


def _satisfiability(
    supergraph: Supergraph, models: Sequence[SubgraphModel]
) -> list[CompositionError]:
    resolvers = _Resolvers(supergraph, models)
    errors = []
    reported: set[str] = set()
    for model in models:
        for type_name in sorted(_reachable_types(model)):
            merged = supergraph.types.get(type_name)
            if merged is None or merged.kind != "OBJECT" or type_name in supergraph.roots.values():
                continue
            if model.types[type_name].interface_object:
                continue
            hops: set[str] | None = None
            for field_name in merged.fields:
                element = f"{type_name}.{field_name}"
                if element in reported:
                    continue
                resolving = resolvers.resolving(
                    type_name, field_name
                ) | resolvers.resolving_via_interface_objects(type_name, field_name)
                if model.name in resolving:
                    continue
                hops = resolvers.hops(type_name, model.name) if hops is None else hops
                if hops & resolving:
                    continue
                reported.add(element)
                errors.append(
                    CompositionError(
                        "SATISFIABILITY_ERROR",
                        f'The field "{element}" cannot be resolved when "{type_name}" is reached'
                        f' through subgraph "{model.name}": it is resolved only in subgraph(s)'
                        f" {sorted(resolving) or 'none'}, which cannot be reached from"
                        f' "{model.name}" with a @key of "{type_name}".',
                        model.name,
                        element,
                    )
                )
    return errors
