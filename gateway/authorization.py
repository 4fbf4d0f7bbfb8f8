"""Authorization: `@authenticated`, `@requiresScopes` and `@policy`, enforced before planning.

    supergraph ─▶ Authorizer                      once; None when nothing carries a requirement
    normalised operation ─▶ OperationChecks       once per operation: the distinct requirements
                                                  it touches, numbered, and what each field needs
    caller (+ policy hook) ─▶ outcome             per request: the numbers of those it fails
    outcome ─▶ Authorized                         once per operation and outcome: the selection
                                                  planned (denied fields left out) and the one
                                                  shaped (denied fields marked)

What a selected field needs, all of it (AND): its own requirements and those of the type it
returns; those of the type it is selected on, an inline fragment's type condition included;
and where that type is abstract, for every object type the selection can meet there, that
type's requirements and the same field's and its return type's. An interface field is thus
denied unless the caller may read it on every implementation (fail closed); a fragment on one
implementation asks only for that one. A denied field's selection is neither fetched nor
checked; `__typename` never needs anything.
"""

from __future__ import annotations

import importlib
import inspect
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from gateway.authentication import Caller
from gateway.errors import UNAUTHORIZED_FIELD_OR_TYPE, SupergraphError
from gateway.operation import Operation
from gateway.selection import Field, InlineFragment, Selection, SelectionSet
from gateway.supergraph import FieldDef, Requirement, Supergraph

PolicyHook = Callable[
    [Mapping[str, Any] | None, frozenset[str]],
    Mapping[str, bool] | Awaitable[Mapping[str, bool]],
]
# The numbers of the requirements a caller fails, in its operation's OperationChecks. Plans are
# cached per outcome, so any two callers failing the same requirements share one.
Outcome = frozenset[int]
ALLOWED: Outcome = frozenset()

_log = logging.getLogger("gateway.authorization")
_TYPENAME = Field("__typename", "__typename", "", frozenset(), None)


class Authorizer:
    """Built once per supergraph; `check` runs once per normalised operation."""

    def __init__(self, supergraph: Supergraph) -> None:
        self.types = supergraph.types
        self.possible = supergraph.possible_types
        self.uses_policies = any(
            requirement.directive == "policy"
            for type_def in self.types.values()
            for requirement in (
                *type_def.requirements,
                *(r for f in type_def.fields.values() for r in f.requirements),
            )
        )
        self._needs: dict[tuple[str, frozenset[str], str], tuple[Requirement, ...]] = {}

    @classmethod
    def build(cls, supergraph: Supergraph) -> Authorizer | None:
        """None for a supergraph without any requirement: the stage is then skipped."""
        for type_def in supergraph.types.values():
            if type_def.requirements or any(f.requirements for f in type_def.fields.values()):
                return cls(supergraph)
        return None

    def check(self, operation: Operation) -> OperationChecks | None:
        """What the operation needs; None when it touches no requirement."""
        numbers: dict[Requirement, int] = {}
        root = operation.root_type
        tree = self._walk(operation.selection_set, root, self._objects(root), numbers)
        if not numbers:
            return None
        return OperationChecks(tuple(numbers), operation.selection_set, tree)

    def _walk(
        self,
        selection_set: SelectionSet,
        scope: str,
        objects: frozenset[str],
        numbers: dict[Requirement, int],
    ) -> tuple[_Checked, ...]:
        """`scope` is the type the selection is on, `objects` the object types it can meet."""
        checked: list[_Checked] = []
        for item in selection_set.items:
            if isinstance(item, InlineFragment):
                condition = item.type_condition or scope
                children = self._walk(
                    item.selection_set, condition, objects & self._objects(condition), numbers
                )
                checked.append(_Checked(item, ALLOWED, _below(ALLOWED, children), children))
                continue
            if item.name.startswith("__"):  # __typename, and introspection answered locally
                checked.append(_Checked(item, ALLOWED, ALLOWED, ()))
                continue
            needs = frozenset(
                numbers.setdefault(requirement, len(numbers))
                for requirement in self._field_needs(scope, objects, item.name)
            )
            children = ()
            if item.selection_set is not None:
                returned = self.types[scope].fields[item.name].type_name
                children = self._walk(
                    item.selection_set, returned, self._objects(returned), numbers
                )
            checked.append(_Checked(item, needs, _below(needs, children), children))
        return tuple(checked)

    def _objects(self, type_name: str) -> frozenset[str]:
        if self.types[type_name].is_abstract:
            return self.possible.get(type_name, frozenset())
        return frozenset((type_name,))

    def _field_needs(
        self, scope: str, objects: frozenset[str], name: str
    ) -> tuple[Requirement, ...]:
        key = (scope, objects, name)
        needs = self._needs.get(key)
        if needs is None:
            scope_def = self.types[scope]
            found = [*scope_def.requirements, *self._field_requirements(scope_def.fields[name])]
            for object_name in sorted(objects):
                object_def = self.types[object_name]
                found.extend(object_def.requirements)
                field_def = object_def.fields.get(name)
                if field_def is not None:
                    found.extend(self._field_requirements(field_def))
            needs = self._needs[key] = tuple(dict.fromkeys(found))
        return needs

    def _field_requirements(self, field_def: FieldDef) -> tuple[Requirement, ...]:
        returned = self.types.get(field_def.type_name)
        if returned is None or not returned.requirements:  # built-in scalars are not in types
            return field_def.requirements
        return field_def.requirements + returned.requirements


@dataclass(frozen=True, slots=True)
class _Checked:
    """A selection of the operation, with the requirement numbers it needs."""

    selection: Selection
    needs: Outcome  # the field's own
    below: Outcome  # its own and those of everything it selects
    children: tuple[_Checked, ...]


def _below(needs: Outcome, children: tuple[_Checked, ...]) -> Outcome:
    return needs.union(*(child.below for child in children)) if children else needs


@dataclass(frozen=True, slots=True)
class Authorized:
    """An operation as one outcome leaves it."""

    planned: SelectionSet  # denied fields left out; empty when every root field is denied
    shaped: SelectionSet  # the client's selection, denied fields marked `denied`
    denied: tuple[tuple[str, ...], ...]  # each denied field's response keys from the root

    def rejection(self) -> dict[str, Any]:
        """The response refusing the whole request (GATEWAY_REJECT_UNAUTHORIZED)."""
        return {
            "data": None,
            "errors": [unauthorized_error(list(path)) for path in self.denied],
        }


class OperationChecks:
    """The requirements one normalised operation touches, and its selection per outcome."""

    def __init__(
        self,
        requirements: tuple[Requirement, ...],
        selection_set: SelectionSet,
        tree: tuple[_Checked, ...],
    ) -> None:
        self.requirements = requirements  # an outcome's numbers index this
        self.policies = frozenset(
            policy
            for requirement in requirements
            if requirement.directive == "policy"
            for group in requirement.groups
            for policy in group
        )
        self._selection_set = selection_set
        self._tree = tree
        self._authorized: dict[Outcome, Authorized] = {}

    def outcome(self, caller: Caller, granted: frozenset[str] = frozenset()) -> Outcome:
        """The requirements `caller` fails; `granted` are the policies the hook allowed."""
        return frozenset(
            number
            for number, requirement in enumerate(self.requirements)
            if not _met(requirement, caller, granted)
        )

    def authorize(self, outcome: Outcome) -> Authorized:
        """The operation's selections under `outcome`, built on first use."""
        authorized = self._authorized.get(outcome)
        if authorized is None:
            denied: list[tuple[str, ...]] = []
            planned, shaped = _rebuild(self._selection_set, self._tree, outcome, (), denied)
            authorized = Authorized(planned, shaped, tuple(denied))
            self._authorized[outcome] = authorized
        return authorized


def unauthorized_error(path: list[str | int]) -> dict[str, Any]:
    # The same words whatever failed (the field's own requirement, its type's, one of an
    # interface's implementations'): the schema says which apply.
    return {
        "message": "The caller is not authorized to access this field.",
        "path": path,
        "extensions": {"code": UNAUTHORIZED_FIELD_OR_TYPE},
    }


def _met(requirement: Requirement, caller: Caller, granted: frozenset[str]) -> bool:
    if requirement.directive == "authenticated":
        return caller.authenticated
    held = caller.scopes if requirement.directive == "requiresScopes" else granted
    return any(group <= held for group in requirement.groups)


def _rebuild(
    selection_set: SelectionSet,
    tree: tuple[_Checked, ...],
    outcome: Outcome,
    path: tuple[str, ...],
    denied: list[tuple[str, ...]],
) -> tuple[SelectionSet, SelectionSet]:
    """The planned and the shaped copy of a selection; untouched parts are shared, keeping
    the memos later stages hang on them."""
    if not any(node.below & outcome for node in tree):
        return selection_set, selection_set
    planned: list[Selection] = []
    shaped: list[Selection] = []
    for node in tree:
        item = node.selection
        if not node.below & outcome:
            planned.append(item)
            shaped.append(item)
        elif isinstance(item, InlineFragment):
            inner_planned, inner_shaped = _rebuild(
                item.selection_set, node.children, outcome, path, denied
            )
            if inner_planned:
                planned.append(InlineFragment(item.type_condition, inner_planned))
            shaped.append(InlineFragment(item.type_condition, inner_shaped))
        elif node.needs & outcome:
            denied.append((*path, item.response_key))
            shaped.append(replace(item, denied=True))
        else:
            assert item.selection_set is not None, "only a field with a selection has children"
            inner_planned, inner_shaped = _rebuild(
                item.selection_set, node.children, outcome, (*path, item.response_key), denied
            )
            # A selection left empty would not be valid GraphQL; __typename keeps the object.
            planned.append(replace(item, selection_set=inner_planned or SelectionSet((_TYPENAME,))))
            shaped.append(replace(item, selection_set=inner_shaped))
    return SelectionSet(tuple(planned)), SelectionSet(tuple(shaped))


async def granted_policies(
    hook: PolicyHook, claims: Mapping[str, Any] | None, policies: frozenset[str]
) -> frozenset[str]:
    """The policies the hook grants. Fail closed: a policy it leaves out or answers with
    anything but True is denied, and so is every policy when it raises."""
    try:
        answer = hook(claims, policies)
        if inspect.isawaitable(answer):
            answer = await answer
    except Exception:
        _log.exception("GATEWAY_POLICY_HOOK failed; denying %s", ", ".join(sorted(policies)))
        return frozenset()
    if not isinstance(answer, Mapping):
        _log.error(
            "GATEWAY_POLICY_HOOK answered a %s, not a mapping; denying %s",
            type(answer).__name__,
            ", ".join(sorted(policies)),
        )
        return frozenset()
    return frozenset(policy for policy in policies if answer.get(policy) is True)


def load_policy_hook(spec: str) -> PolicyHook:
    """Import `package.module:callable`; raise SupergraphError naming the setting if it fails."""
    module_name, _, attribute = spec.partition(":")
    try:
        hook = getattr(importlib.import_module(module_name), attribute)
    except Exception as error:  # whatever importing the operator's module raises
        raise SupergraphError(f"GATEWAY_POLICY_HOOK: cannot import {spec!r}: {error}") from None
    if not callable(hook):
        raise SupergraphError(f"GATEWAY_POLICY_HOOK: {spec!r} is not callable")
    return hook  # type: ignore[no-any-return]
