"""Static cost: what an operation is estimated to cost, from `@cost` and `@listSize`, checked
against a budget before anything is planned or fetched.

    supergraph ─▶ CostModel                   once: each field's weight, list size, arguments
    normalised operation ─▶ OperationCost     once per operation (memoised on its selection):
                                              a number, or an expression over the variables
                                              that size its lists
    variables ─▶ estimate ─▶ refuse or report  per request: the number, or the expression's
                                              value (a few multiplications)

The weights follow IBM's GraphQL Cost Directive spec as Apollo's demand control applies it
(federation 2.9, https://specs.apollo.dev/cost/v0.1). A field costs its weight: its own
`@cost`, else its type's `@cost`, else 1 for an object, interface or union and 0 for a scalar
or enum. A field with a selection adds the cost of that selection. A list field multiplies
that sum by its size: the largest value given to one of its `@listSize(slicingArguments:)`
(a literal, a variable, or the argument's default), else its `assumedSize`, else the
configured default list size; `sizedFields` hands the size to those child fields instead.
Arguments given add their own `@cost`. A mutation starts at 10. On an interface or a union,
the fragments applying to the costliest possible object type count.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

from graphql import (
    FieldDefinitionNode,
    FieldNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    IntValueNode,
    NullValueNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    OperationDefinitionNode,
    ValueNode,
    VariableNode,
    parse,
    value_from_ast_untyped,
)

from gateway.errors import (
    COST_ESTIMATED_TOO_EXPENSIVE,
    COST_SLICING_ARGUMENT_REQUIRED,
    SupergraphError,
    graphql_error,
)
from gateway.operation import Operation, RequestError
from gateway.selection import Field, InlineFragment, SelectionSet
from gateway.settings import GatewaySettings
from gateway.supergraph import Supergraph

_log = logging.getLogger("gateway.cost")

# Apollo's base cost of a mutation: it writes, so even a small one is not free.
MUTATION_BASE_COST = 10
_COMPOSITE_KINDS = frozenset({"OBJECT", "INTERFACE", "UNION"})
_MEMO_KEY = object()  # where an operation's cost is memoised on its root selection


@dataclass(frozen=True, slots=True)
class ListSize:
    """A field's `@listSize`."""

    assumed_size: int | None
    slicing_arguments: tuple[str, ...]
    sized_fields: frozenset[str]
    require_one_slicing_argument: bool


@dataclass(frozen=True, slots=True)
class FieldCost:
    """What selecting one field costs, before its selection and list size are known."""

    weight: int
    type_name: str  # the named type it returns
    is_list: bool
    list_size: ListSize | None
    argument_weights: Mapping[str, int]  # arguments carrying @cost
    argument_defaults: Mapping[str, int]  # slicing arguments with an Int default


@dataclass(frozen=True)
class CostModel:
    """Per type and field, what the cost directives of the supergraph say; built once."""

    fields: Mapping[str, Mapping[str, FieldCost]]
    # The object types a selection on a type can meet: itself, or an abstract type's members.
    objects: Mapping[str, frozenset[str]]
    default_list_size: int

    @classmethod
    def from_supergraph(cls, supergraph: Supergraph, default_list_size: int) -> CostModel:
        return _ModelReader(supergraph).read(default_list_size)


class _ModelReader:
    """Reads `@cost`/`@listSize` under the names this supergraph gives them (`@link(as:)`,
    `import: [{name:, as:}]`); unlinked, every field has its default weight."""

    def __init__(self, supergraph: Supergraph) -> None:
        self.supergraph = supergraph
        namespace = supergraph.feature_names.get("cost")
        self.cost_name = supergraph.directive_names.get("cost")
        self.list_size_name = supergraph.directive_names.get(
            "listSize", f"{namespace}__listSize" if namespace else None
        )

    def read(self, default_list_size: int) -> CostModel:
        types = self.supergraph.types
        type_weights: dict[str, int] = {}
        field_nodes: dict[str, dict[str, FieldDefinitionNode]] = {}
        for definition in self.supergraph.document.definitions:
            name = getattr(getattr(definition, "name", None), "value", "")
            if not isinstance(name, str) or name not in types:
                continue
            weight = self._weight(definition, name)
            if weight is not None:
                type_weights[name] = weight
            if isinstance(
                definition,
                ObjectTypeDefinitionNode
                | ObjectTypeExtensionNode
                | InterfaceTypeDefinitionNode
                | InterfaceTypeExtensionNode,
            ):
                for field_node in definition.fields or ():
                    field_nodes.setdefault(name, {})[field_node.name.value] = field_node
        fields: dict[str, Mapping[str, FieldCost]] = {}
        for type_name, nodes in field_nodes.items():
            fields[type_name] = MappingProxyType(
                {name: self._field(type_name, node, type_weights) for name, node in nodes.items()}
            )
        objects = {
            name: self.supergraph.possible_types.get(name, frozenset())
            if type_def.is_abstract
            else frozenset((name,))
            for name, type_def in types.items()
        }
        return CostModel(MappingProxyType(fields), MappingProxyType(objects), default_list_size)

    def _field(
        self, type_name: str, node: FieldDefinitionNode, type_weights: Mapping[str, int]
    ) -> FieldCost:
        where = f"{type_name}.{node.name.value}"
        field_def = self.supergraph.types[type_name].fields[node.name.value]
        returned = self.supergraph.types.get(field_def.type_name)
        weight = self._weight(node, where)
        if weight is None:
            weight = type_weights.get(field_def.type_name)
        if weight is None:
            weight = 1 if returned is not None and returned.kind in _COMPOSITE_KINDS else 0
        argument_weights: dict[str, int] = {}
        argument_defaults: dict[str, int] = {}
        for argument in node.arguments or ():
            argument_weight = self._weight(argument, f"{where}({argument.name.value}:)")
            if argument_weight is not None:
                argument_weights[argument.name.value] = argument_weight
            if isinstance(argument.default_value, IntValueNode):
                argument_defaults[argument.name.value] = int(argument.default_value.value)
        list_size = self._list_size(node, where)
        if list_size is not None:
            unknown = set(list_size.slicing_arguments) - {a.name.value for a in node.arguments}
            if unknown:
                raise SupergraphError(
                    f"{where}: @{self.list_size_name}(slicingArguments:) names "
                    f"{', '.join(sorted(unknown))}, not arguments of the field"
                )
            child_fields = returned.fields if returned is not None else {}
            unknown = set(list_size.sized_fields) - set(child_fields)
            if unknown:
                raise SupergraphError(
                    f"{where}: @{self.list_size_name}(sizedFields:) names "
                    f"{', '.join(sorted(unknown))}, not fields of {field_def.type_name}"
                )
        return FieldCost(
            weight=weight,
            type_name=field_def.type_name,
            is_list=field_def.list_depth > 0,
            list_size=list_size,
            argument_weights=MappingProxyType(argument_weights),
            argument_defaults=MappingProxyType(
                {
                    name: value
                    for name, value in argument_defaults.items()
                    if list_size is not None and name in list_size.slicing_arguments
                }
            ),
        )

    def _arguments(self, node: Any, name: str | None) -> dict[str, Any] | None:
        for directive in getattr(node, "directives", None) or ():
            if directive.name.value == name:
                return {
                    argument.name.value: value_from_ast_untyped(argument.value)
                    for argument in directive.arguments
                }
        return None

    def _weight(self, node: Any, where: str) -> int | None:
        args = self._arguments(node, self.cost_name)
        if args is None:
            return None
        weight = args.get("weight")
        # Apollo's definition says Int!; IBM's first draft a String: both are read.
        if isinstance(weight, str) and weight.strip().isdigit():
            weight = int(weight)
        if not isinstance(weight, int) or isinstance(weight, bool) or weight < 0:
            raise SupergraphError(
                f"{where}: @{self.cost_name}(weight: {weight!r}) is not a whole number >= 0"
            )
        return weight

    def _list_size(self, node: FieldDefinitionNode, where: str) -> ListSize | None:
        args = self._arguments(node, self.list_size_name)
        if args is None:
            return None
        assumed = args.get("assumedSize")
        slicing = args.get("slicingArguments") or []
        sized = args.get("sizedFields") or []
        require_one = args.get("requireOneSlicingArgument", True)
        if (
            (
                assumed is not None
                and (not isinstance(assumed, int) or isinstance(assumed, bool) or assumed < 0)
            )
            or not _strings(slicing)
            or not _strings(sized)
            or not isinstance(require_one, bool | None)
        ):
            raise SupergraphError(f"{where}: @{self.list_size_name}({args!r}) is malformed")
        return ListSize(assumed, tuple(slicing), frozenset(sized), require_one is not False)


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


# -- expressions: what an operation costs, as a function of the variables that size its lists


@dataclass(frozen=True, slots=True)
class _Slicing:
    """Where one slicing argument's value comes from."""

    literal: int | None  # given in the document
    variable: str | None  # given as `$variable`
    default: int | None  # the argument's default, when the document or the variable gives none

    def value(self, variables: Mapping[str, Any]) -> int | None:
        if self.literal is not None:
            value: Any = self.literal
        elif self.variable is not None and self.variable in variables:
            value = variables[self.variable]
        else:
            value = self.default
        # A negative size is not a size: it counts as not given (fail closed, for subgraphs
        # that read `first: -1` as "all").
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
        return None


@dataclass(frozen=True, slots=True)
class _Size:
    """A list's expected size where a slicing argument is a variable."""

    where: str
    slicing: tuple[_Slicing, ...]
    assumed_size: int | None
    require_one: bool

    def value(self, variables: Mapping[str, Any], problems: list[str]) -> int | None:
        given = [v for s in self.slicing if (v := s.value(variables)) is not None]
        if self.require_one and len(given) != 1:
            problems.append(
                f"{self.where} needs exactly one of its slicing arguments; {len(given)} given"
            )
        return max(given) if given else self.assumed_size


@dataclass(frozen=True, slots=True)
class _Count:
    """How many times a list field's cost counts: the first size known among `sizes`."""

    sizes: tuple[int | _Size | None, ...]
    default: int

    def value(self, variables: Mapping[str, Any], problems: list[str]) -> int:
        for size in self.sizes:
            known = size.value(variables, problems) if isinstance(size, _Size) else size
            if known is not None:
                return known
        return self.default


@dataclass(frozen=True, slots=True)
class _Sum:
    parts: tuple[Expression, ...]

    def value(self, variables: Mapping[str, Any], problems: list[str]) -> int:
        return sum(_value(part, variables, problems) for part in self.parts)


@dataclass(frozen=True, slots=True)
class _Max:
    options: tuple[Expression, ...]

    def value(self, variables: Mapping[str, Any], problems: list[str]) -> int:
        return max(_value(option, variables, problems) for option in self.options)


@dataclass(frozen=True, slots=True)
class _Times:
    count: _Count | int
    each: Expression

    def value(self, variables: Mapping[str, Any], problems: list[str]) -> int:
        count = self.count
        if isinstance(count, _Count):
            count = count.value(variables, problems)
        return count * _value(self.each, variables, problems)


Expression = int | _Sum | _Max | _Times


def _value(expression: Expression, variables: Mapping[str, Any], problems: list[str]) -> int:
    if isinstance(expression, int):
        return expression
    return expression.value(variables, problems)


def _add(*parts: Expression) -> Expression:
    constant = 0
    rest: list[Expression] = []
    for part in parts:
        for term in part.parts if isinstance(part, _Sum) else (part,):
            if isinstance(term, int):
                constant += term
            else:
                rest.append(term)
    if not rest:
        return constant
    if not constant and len(rest) == 1:
        return rest[0]
    return _Sum((constant, *rest) if constant else tuple(rest))


def _max(options: list[Expression]) -> Expression:
    constants = [option for option in options if isinstance(option, int)]
    rest = tuple(dict.fromkeys(option for option in options if not isinstance(option, int)))
    if not rest:
        return max(constants, default=0)
    return _Max((max(constants), *rest) if constants else rest)


def _times(count: _Count | int, each: Expression) -> Expression:
    if isinstance(count, int) and isinstance(each, int):
        return count * each
    return _Times(count, each)


@dataclass(frozen=True, slots=True)
class OperationCost:
    """An operation's cost: a number unless a variable sizes one of its lists."""

    expression: Expression
    problems: tuple[str, ...]  # slicing arguments the document alone gets wrong
    label: str  # for log lines: the operation's kind and root fields
    # The estimate when neither variables nor problems change it: the hot path's one read.
    fixed: int | None = None

    def estimate(self, variables: Mapping[str, Any]) -> tuple[int, list[str]]:
        problems = list(self.problems)
        return _value(self.expression, variables, problems), problems


class _Compiler:
    def __init__(self, model: CostModel) -> None:
        self.model = model
        self.problems: list[str] = []

    def operation(self, operation: Operation) -> OperationCost:
        root = operation.root_type
        cost = self.selection(operation.selection_set, root, self.model.objects[root], None)
        if operation.kind == "mutation":
            cost = _add(MUTATION_BASE_COST, cost)
        roots = ", ".join(
            dict.fromkeys(i.name for i in operation.selection_set.items if isinstance(i, Field))
        )
        return OperationCost(
            cost,
            tuple(self.problems),
            f"{operation.kind} {{ {roots} }}",
            cost if isinstance(cost, int) and not self.problems else None,
        )

    def selection(
        self,
        selection_set: SelectionSet,
        scope: str,
        objects: frozenset[str],
        sized: tuple[int | _Size | None, frozenset[str]] | None,
    ) -> Expression:
        """`objects`: the object types the selection can meet; `sized`: the parent list's
        size and the child fields it applies to (`sizedFields`)."""
        direct: list[Expression] = []
        fragments: list[tuple[frozenset[str], Expression]] = []
        self._gather(selection_set, scope, objects, sized, direct, fragments)
        if not fragments:
            return _add(*direct)
        per_object = [
            _add(*(cost for met, cost in fragments if name in met)) for name in sorted(objects)
        ]
        return _add(*direct, _max(per_object))

    def _gather(
        self,
        selection_set: SelectionSet,
        scope: str,
        objects: frozenset[str],
        sized: tuple[int | _Size | None, frozenset[str]] | None,
        direct: list[Expression],
        fragments: list[tuple[frozenset[str], Expression]],
    ) -> None:
        for item in selection_set.items:
            if isinstance(item, Field):
                inherited = sized[0] if sized is not None and item.name in sized[1] else None
                direct.append(self.field(item, scope, inherited))
            elif isinstance(item, InlineFragment):
                condition = item.type_condition or scope
                if condition == scope:
                    self._gather(item.selection_set, scope, objects, sized, direct, fragments)
                else:
                    met = objects & self.model.objects[condition]
                    cost = self.selection(item.selection_set, condition, met, sized)
                    fragments.append((met, cost))

    def field(self, item: Field, scope: str, inherited: int | _Size | None) -> Expression:
        if item.name.startswith("__"):  # __typename, and introspection answered locally
            return 0
        cost = self.model.fields[scope][item.name]
        arguments = _arguments(item) if item.arguments else {}
        argument_cost = sum(
            weight
            for name, weight in cost.argument_weights.items()
            if name in arguments and not isinstance(arguments[name], NullValueNode)
        )
        own: int | _Size | None = None
        if cost.list_size is not None:
            own = self._size(f"{scope}.{item.name}", cost, arguments)
        children: Expression = 0
        if item.selection_set is not None:
            sized = None
            if cost.list_size is not None and cost.list_size.sized_fields:
                sized = (own, cost.list_size.sized_fields)
            children = self.selection(
                item.selection_set, cost.type_name, self.model.objects[cost.type_name], sized
            )
        each = _add(cost.weight, children)
        if not cost.is_list:
            return _add(each, argument_cost)
        return _add(_times(self._count(inherited, own), each), argument_cost)

    def _count(self, inherited: int | _Size | None, own: int | _Size | None) -> _Count | int:
        sizes: list[int | _Size | None] = []
        for size in (inherited, own):
            if isinstance(size, int):
                if not sizes:
                    return size
                sizes.append(size)
                break
            if size is not None:
                sizes.append(size)
        if not sizes:
            return self.model.default_list_size
        return _Count(tuple(sizes), self.model.default_list_size)

    def _size(
        self, where: str, cost: FieldCost, arguments: Mapping[str, ValueNode]
    ) -> int | _Size | None:
        assert cost.list_size is not None
        slicing = []
        for name in cost.list_size.slicing_arguments:
            node = arguments.get(name)
            slicing.append(
                _Slicing(
                    int(node.value) if isinstance(node, IntValueNode) else None,
                    node.name.value if isinstance(node, VariableNode) else None,
                    # A variable the request leaves out leaves the argument's default.
                    None
                    if node is not None and not isinstance(node, VariableNode)
                    else cost.argument_defaults.get(name),
                )
            )
        size = _Size(
            where,
            tuple(slicing),
            cost.list_size.assumed_size,
            cost.list_size.require_one_slicing_argument and bool(slicing),
        )
        if any(s.variable is not None for s in slicing):
            return size
        return size.value({}, self.problems)  # decided by the document alone


def _arguments(item: Field) -> dict[str, ValueNode]:
    """The field's arguments as the document gave them (normalisation keeps them printed)."""
    document = parse("{f" + item.arguments + "}", no_location=True)
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    field_node = operation.selection_set.selections[0]
    assert isinstance(field_node, FieldNode)
    return {argument.name.value: argument.value for argument in field_node.arguments}


def operation_cost(model: CostModel, operation: Operation) -> OperationCost:
    """The operation's cost, compiled once and memoised on its (cached) root selection."""
    memo = operation.selection_set.memo
    cost: OperationCost | None = memo.get(_MEMO_KEY)
    if cost is None:
        cost = memo[_MEMO_KEY] = _Compiler(model).operation(operation)
    return cost


class CostControl:
    """The stage: estimate each request's cost; refuse it over budget (enforce) or report it
    (measure). Built only when something is to be done (see `build`)."""

    def __init__(
        self,
        model: CostModel,
        mode: Literal["enforce", "measure"],
        budget: int | None,
        in_extensions: bool,
    ) -> None:
        self.model = model
        self.enforce = mode == "enforce"
        self.budget = budget
        self.in_extensions = in_extensions or mode == "measure"

    @classmethod
    def build(cls, supergraph: Supergraph, settings: GatewaySettings) -> CostControl | None:
        """None when cost is off, or enforced without a budget and not reported: no work."""
        mode = settings.cost_mode
        if mode == "off":
            return None
        if mode == "enforce" and settings.cost_budget is None and not settings.cost_in_extensions:
            return None
        model = CostModel.from_supergraph(supergraph, settings.cost_default_list_size)
        return cls(model, mode, settings.cost_budget, settings.cost_in_extensions)

    def check(self, operation: Operation, variables: Mapping[str, Any]) -> dict[str, Any] | None:
        """The response's `extensions.cost` (None when not shown); raise RequestError when
        enforcing and the operation is over budget or misuses its slicing arguments."""
        cost = operation.selection_set.memo.get(_MEMO_KEY) or operation_cost(self.model, operation)
        estimated = cost.fixed
        if estimated is None or not self.enforce:
            return self._check(cost, variables)
        # The cached request's path: one read, one comparison.
        if self.budget is not None and estimated > self.budget:
            raise _refusal(estimated, self.budget)
        return {"estimated": estimated, "budget": self.budget} if self.in_extensions else None

    def _check(self, cost: OperationCost, variables: Mapping[str, Any]) -> dict[str, Any] | None:
        estimated, problems = cost.estimate(variables)
        budget = self.budget
        over = budget is not None and estimated > budget
        if self.enforce:
            if problems:
                raise RequestError(
                    [
                        dict(
                            graphql_error(
                                f"{problems[0]}.",
                                code=COST_SLICING_ARGUMENT_REQUIRED,
                                cost={"estimated": estimated, "budget": budget},
                            )
                        )
                    ]
                )
            if over:
                assert budget is not None
                raise _refusal(estimated, budget)
        else:
            _log.info(
                "cost %d, budget %s%s: %s%s",
                estimated,
                budget,
                " (over: enforce mode would refuse)" if over or problems else "",
                cost.label,
                f"; {'; '.join(problems)}" if problems else "",
            )
        return {"estimated": estimated, "budget": budget} if self.in_extensions else None


def _refusal(estimated: int, budget: int) -> RequestError:
    return RequestError(
        [
            dict(
                graphql_error(
                    f"The operation's estimated cost, {estimated}, is over the budget of {budget}.",
                    code=COST_ESTIMATED_TOO_EXPENSIVE,
                    cost={"estimated": estimated, "budget": budget},
                )
            )
        ]
    )
