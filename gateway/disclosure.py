"""Disclosures: what each response reveals about each data subject, recorded before it leaves.

    supergraph + GATEWAY_DISCLOSURE_SUBJECT ("Type.keyField") ─▶ Disclosures      once
    planned selection ─▶ with_keys: every selection on the subject type (or
                         on an abstract type it belongs to) also asks for its
                         key, which the shaped selection never shows          once per plan
    shaped selection + response + merged data ─▶ one Disclosure per subject   per request,
                                                                              one walk
    GATEWAY_DISCLOSURE_HOOK(claims, disclosures, trace id)                    awaited before
                                                                              the response leaves

Personal data is what `@requiresScopes` protects. A leaf of the response whose path meets
such a requirement (on the field, its parent type, its return type or an interface field it
implements), counted from the nearest enclosing subject object, belongs to that subject,
named by its key. A scoped value that shows nothing of the subject below it counts at its
own path: an empty list, an object of which only `__typename` or another subject was
selected (`children` of a parent, when the children's own fields belong to the children),
and null, which tells the reader there is none (no income, no spouse) — unless an error
explains the null (a denied field, FORBIDDEN, a failed fetch, a propagated null): then
nothing was disclosed there. Paths are field names joined by dots, relative to the subject,
without list indices.

Fail closed: a subject object with something to attribute but no key, a hook that raises,
returns something that is not awaitable, or takes longer than GATEWAY_DISCLOSURE_TIMEOUT,
each raise DisclosureUnavailable and the response is refused.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from gateway.errors import ConfigurationError, DisclosureUnavailable, PlanningError, SupergraphError
from gateway.selection import Field, InlineFragment, Selection, SelectionSet
from gateway.settings import GatewaySettings
from gateway.supergraph import Requirement, Supergraph

_log = logging.getLogger("gateway.disclosure")
_NO_KEY = object()  # inside a subject object whose key the merged data lacks


@dataclass(frozen=True, slots=True)
class Disclosure:
    """What one response disclosed about one data subject."""

    subject: str  # the key value of the subject object(s)
    fields: tuple[str, ...]  # dotted paths relative to the subject, sorted
    scopes: frozenset[str]  # of the requirements met on those paths, as the caller held them


DisclosureHook = Callable[
    [Mapping[str, Any] | None, Sequence[Disclosure], str | None], Awaitable[None]
]


@dataclass(frozen=True, slots=True)
class _Entry:
    """How one field selected on one object type is walked, decided once."""

    response_key: str
    name: str
    dotted: str  # "." + name, to extend a path with
    requirements: frozenset[int]  # numbers of the @requiresScopes ones, on this field alone
    selection_set: SelectionSet | None
    type_name: str  # the named type it returns
    abstract: bool
    # The plans of the objects it returns, per runtime type, filled as they are met.
    plans: dict[str, _Plan]


# A field path relative to its subject, and the numbers of the requirements met on the way.
_Attributed = tuple[str, frozenset[int]]


@dataclass(frozen=True, slots=True)
class _Plan:
    """How objects of one type are walked under one selection, decided once. Without errors
    in the response, every scoped leaf is attributed whatever its value (null tells that
    there is none), so what an object's leaves attribute depends only on where the object
    is: kept per (path prefix, requirements inherited)."""

    is_subject: bool  # objects of the subject type
    leaves: tuple[_Entry, ...]
    composites: tuple[_Entry, ...]
    attributed_leaves: dict[tuple[str, frozenset[int]], tuple[_Attributed, ...]]


class Disclosures:
    """Built once per supergraph; `with_keys` runs once per plan, `record` per request."""

    def __init__(
        self,
        supergraph: Supergraph,
        subject: str,
        key: str,
        hook: DisclosureHook,
        timeout: float,
        possible_types: Mapping[str, frozenset[str]],
    ) -> None:
        self.types = supergraph.types
        self.subject = subject
        self.key = key
        self.hook = hook
        self.timeout = timeout
        # The shaper's map (the API schema's), so both fill SelectionSet's memo alike.
        self.possible = possible_types
        # Abstract types a subject object can be met under: a key is asked for there too.
        self.abstract_holders = frozenset(
            name for name, members in possible_types.items() if subject in members
        )
        self._key_field = Field(key, key, "", frozenset(), None)
        # Requirements are numbered: the walk unions small sets of ints, not dataclasses.
        self._numbers: dict[Requirement, int] = {}
        self._requirements: dict[tuple[str, str], frozenset[int]] = {}

    @classmethod
    def build(
        cls,
        supergraph: Supergraph,
        settings: GatewaySettings,
        possible_types: Mapping[str, frozenset[str]],
    ) -> Disclosures | None:
        """None when disclosures are off; a setting the gateway cannot honour stops the start."""
        spec, hook_spec = settings.disclosure_subject, settings.disclosure_hook
        if spec is None and hook_spec is None:
            return None
        if spec is None:
            raise ConfigurationError(
                "GATEWAY_DISCLOSURE_SUBJECT: required with GATEWAY_DISCLOSURE_HOOK (the data "
                "subject's type and key field, Type.keyField)"
            )
        if hook_spec is None:
            raise ConfigurationError(
                "GATEWAY_DISCLOSURE_HOOK: required with GATEWAY_DISCLOSURE_SUBJECT (the "
                "function, package.module:callable, that records disclosures)"
            )
        type_name, _, key = spec.partition(".")
        type_def = supergraph.types.get(type_name)
        if type_def is None or type_def.kind != "OBJECT":
            raise SupergraphError(
                f"GATEWAY_DISCLOSURE_SUBJECT: the supergraph has no object type {type_name!r}"
            )
        field_def = type_def.fields.get(key)
        if field_def is None:
            raise SupergraphError(f"GATEWAY_DISCLOSURE_SUBJECT: {type_name} has no field {key!r}")
        returned = supergraph.types.get(field_def.type_name)
        if field_def.list_depth or (returned is not None and returned.kind != "SCALAR"):
            raise SupergraphError(
                f"GATEWAY_DISCLOSURE_SUBJECT: {spec} must be a scalar that names the subject, "
                f"not {field_def.type_ref}"
            )
        hook = _load_hook(hook_spec)
        return cls(supergraph, type_name, key, hook, settings.disclosure_timeout, possible_types)

    async def close(self) -> None:
        """Let a hook that holds resources (connections) release them: one with an `aclose`
        coroutine method gets it awaited when the gateway stops."""
        close = getattr(self.hook, "aclose", None)
        if close is not None:
            await close()

    # -- once per plan -------------------------------------------------------------------

    def with_keys(self, selection_set: SelectionSet, type_name: str) -> SelectionSet:
        """The planned selection asking for the subject's key wherever a subject can be.
        Raises PlanningError when the client uses the key's response key for another field:
        the key could not be told from it."""
        items: list[Selection] = []
        for item in selection_set.items:
            if isinstance(item, InlineFragment):
                inner = self.with_keys(item.selection_set, item.type_condition or type_name)
                items.append(InlineFragment(item.type_condition, inner))
            elif item.selection_set is not None and not item.name.startswith("__"):
                returned = self.types[type_name].fields[item.name].type_name
                items.append(
                    replace(item, selection_set=self.with_keys(item.selection_set, returned))
                )
            else:
                items.append(item)
        keyed = SelectionSet(tuple(items))
        if type_name != self.subject and type_name not in self.abstract_holders:
            return keyed
        present = keyed.collect_fields(self.subject, self.possible).get(self.key)
        if present is None:
            key: Selection = self._key_field
            if type_name != self.subject:
                key = InlineFragment(self.subject, SelectionSet((self._key_field,)))
            return SelectionSet((*items, key))
        if present.name != self.key or present.arguments:
            raise PlanningError(
                f"the response key {self.key!r} on {self.subject} is reserved for its "
                f"field {self.key}, which names whose data the response discloses"
            )
        return keyed

    # -- per request ---------------------------------------------------------------------

    async def record(
        self,
        shaped: SelectionSet,
        root_type: str,
        data: Mapping[str, Any],
        merged: Mapping[str, Any],
        errors: Sequence[Mapping[str, Any]],
        claims: Mapping[str, Any] | None,
        scopes: frozenset[str],
        trace_id: str | None,
    ) -> None:
        """Call the hook with what `data` (the shaped response, with `errors`) discloses;
        `merged` (what the subgraphs answered) holds the hidden keys. Raises
        DisclosureUnavailable."""
        try:
            disclosures = self.disclosures(shaped, root_type, data, merged, errors, scopes)
        except DisclosureUnavailable as error:
            _log.error("refusing a response: %s", error)
            raise
        if not disclosures:
            return
        try:
            # asyncio.timeout, not wait_for: no task per response (nor the reference cycles
            # that made the garbage collector run twenty times as often under load).
            async with asyncio.timeout(self.timeout):
                await self.hook(claims, disclosures, trace_id)
        except Exception as error:  # whatever the operator's hook raises, a timeout included
            _log.exception("GATEWAY_DISCLOSURE_HOOK failed; refusing the response")
            raise DisclosureUnavailable(f"the disclosure hook failed: {error!r}") from None

    def disclosures(
        self,
        shaped: SelectionSet,
        root_type: str,
        data: Mapping[str, Any],
        merged: Mapping[str, Any],
        errors: Sequence[Mapping[str, Any]],
        scopes: frozenset[str],
    ) -> list[Disclosure]:
        walk = _Walk(self, errors)
        root = self.plan(shaped, root_type)
        walk.walk_object(root, data, merged, None, None, "", frozenset())
        requirements = list(self._numbers)
        disclosed = []
        for subject, attributed in sorted(walk.found.items()):
            if not attributed:
                continue  # met, but nothing of theirs shown
            paths = sorted({path for path, _ in attributed})
            numbers = frozenset().union(*(numbers for _, numbers in attributed))
            met = [requirements[number] for number in numbers]
            disclosed.append(Disclosure(subject, tuple(paths), _scopes_held(met, scopes)))
        return disclosed

    def plan(self, selection_set: SelectionSet, type_name: str) -> _Plan:
        per_type: dict[str, _Plan] | None = selection_set.memo.get(self)
        if per_type is None:
            per_type = selection_set.memo[self] = {}
        plan = per_type.get(type_name)
        if plan is None:
            leaves: list[_Entry] = []
            composites: list[_Entry] = []
            fields = self.types[type_name].fields
            for key, item in selection_set.collect_fields(type_name, self.possible).items():
                if item.denied or item.name.startswith("__"):
                    continue
                returned = fields[item.name].type_name
                returned_def = self.types.get(returned)
                entry = _Entry(
                    key,
                    item.name,
                    "." + item.name,
                    self._scoped(type_name, item.name),
                    item.selection_set,
                    returned,
                    returned_def is not None and returned_def.is_abstract,
                    {},
                )
                (leaves if item.selection_set is None else composites).append(entry)
            plan = per_type[type_name] = _Plan(
                type_name == self.subject, tuple(leaves), tuple(composites), {}
            )
        return plan

    def _scoped(self, type_name: str, field_name: str) -> frozenset[int]:
        """The @requiresScopes requirements reading this field meets, whichever way the
        operation selected it (on the type, or on an interface it implements)."""
        found = self._requirements.get((type_name, field_name))
        if found is None:
            type_def = self.types[type_name]
            field_def = type_def.fields[field_name]
            returned = self.types.get(field_def.type_name)
            candidates = [*type_def.requirements, *field_def.requirements]
            if returned is not None:
                candidates.extend(returned.requirements)
            for interface in sorted(type_def.interfaces):
                interface_def = self.types[interface]
                if field_name in interface_def.fields:
                    candidates.extend(interface_def.requirements)
                    candidates.extend(interface_def.fields[field_name].requirements)
            found = frozenset(
                self._numbers.setdefault(r, len(self._numbers))
                for r in candidates
                if r.directive == "requiresScopes"
            )
            self._requirements[(type_name, field_name)] = found
        return found


class _Walk:
    """One response's walk: the shaped response for what was shown, the merged data beside
    it for the hidden keys and runtime types, the errors for the nulls they explain."""

    def __init__(self, stage: Disclosures, errors: Sequence[Mapping[str, Any]]) -> None:
        self.stage = stage
        self.found: dict[str, set[_Attributed]] = {}
        # Every prefix of an error's path: a null there is the error's, not an answer.
        self.explained: set[tuple[str | int, ...]] = set()
        for error in errors:
            path = error.get("path")
            if isinstance(path, list):
                self.explained.update(tuple(path[:end]) for end in range(1, len(path) + 1))
        # The response path being walked, indices included: kept only when errors are there
        # to explain a null (most responses have none).
        self.track = bool(self.explained)
        self.where: list[str | int] = []

    def walk_object(
        self,
        plan: _Plan,
        shown: Mapping[str, Any],
        merged: Mapping[str, Any] | None,
        subject: object,
        found: set[_Attributed] | None,
        prefix: str,
        inherited: frozenset[int],
    ) -> bool:
        """Walk one object; True when something was attributed to `subject` below it.
        `found` holds what is attributed to `subject` (None outside one or without a key)."""
        outer = subject
        if plan.is_subject:
            key = merged.get(self.stage.key) if merged is not None else None
            subject = _NO_KEY if key is None else str(key)
            found = None if key is None else self.found_for(str(key))
            prefix, inherited = "", frozenset()
        attributed = False
        if subject is not None and plan.leaves:
            leaves: Sequence[_Attributed] | None
            if self.track:
                leaves = self.leaves(plan, shown, prefix, inherited)
            else:
                where = (prefix, inherited)
                leaves = plan.attributed_leaves.get(where)
                if leaves is None:
                    leaves = plan.attributed_leaves[where] = _leaves(plan, prefix, inherited)
            if leaves:
                if found is None:
                    raise self.no_key(leaves[0][0])
                found.update(leaves)
                attributed = True
        for entry in plan.composites:
            value = shown.get(entry.response_key)
            requirements = inherited
            if entry.requirements:
                requirements = inherited | entry.requirements if inherited else entry.requirements
            if value is None and (
                not requirements
                or subject is None
                or (self.track and (*self.where, entry.response_key) in self.explained)
            ):
                continue
            path = prefix + entry.dotted if prefix else entry.name
            below = False
            if value is not None:
                inner = merged.get(entry.response_key) if merged is not None else None
                if self.track:
                    self.where.append(entry.response_key)
                below = self.walk_value(entry, value, inner, subject, found, path, requirements)
                if self.track:
                    self.where.pop()
            if requirements and subject is not None and not below:
                if found is None:
                    raise self.no_key(path)
                found.add((path, requirements))
                below = True
            attributed = attributed or below
        # Attributed to a subject of its own, nothing of this object belongs to the outer one.
        return attributed if subject is outer else False

    def walk_value(
        self,
        entry: _Entry,
        shown: Any,
        merged: Any,
        subject: object,
        found: set[_Attributed] | None,
        path: str,
        requirements: frozenset[int],
    ) -> bool:
        """Walk a non-null composite value: a list of them, or one object."""
        if not isinstance(shown, list):
            plan = self.child(entry, merged, path)
            return self.walk_object(plan, shown, merged, subject, found, path, requirements)
        merged_items = merged if isinstance(merged, list) else []
        attributed = False
        for index, item in enumerate(shown):
            if item is None:
                continue
            inner = merged_items[index] if index < len(merged_items) else None
            if self.track:
                self.where.append(index)
            below = self.walk_value(entry, item, inner, subject, found, path, requirements)
            if self.track:
                self.where.pop()
            attributed = attributed or below
        return attributed

    def child(self, entry: _Entry, merged: Any, path: str) -> _Plan:
        """The plan of an object `entry` returned: of its type, or for an abstract type, of
        the object type the merged `__typename` names."""
        runtime = entry.type_name
        if entry.abstract:
            typename = merged.get("__typename") if isinstance(merged, dict) else None
            found = self.stage.types.get(typename) if isinstance(typename, str) else None
            if found is None or found.name in self.stage.abstract_holders:
                # An @interfaceObject answer names the interface: it may be a subject.
                raise DisclosureUnavailable(
                    f"the type of the object at {path} is unknown: it may be a "
                    f"{self.stage.subject}, whose data cannot be attributed"
                )
            runtime = found.name
        plan = entry.plans.get(runtime)
        if plan is None:
            assert entry.selection_set is not None, "a composite field selects"
            plan = entry.plans[runtime] = self.stage.plan(entry.selection_set, runtime)
        return plan

    def leaves(
        self, plan: _Plan, shown: Mapping[str, Any], prefix: str, inherited: frozenset[int]
    ) -> list[_Attributed]:
        """What an object's leaves attribute in a response with errors: a null an error
        explains is not an answer."""
        attributed = []
        for entry in plan.leaves:
            requirements = inherited | entry.requirements
            if not requirements or (
                shown.get(entry.response_key) is None
                and (*self.where, entry.response_key) in self.explained
            ):
                continue
            attributed.append((prefix + entry.dotted if prefix else entry.name, requirements))
        return attributed

    def found_for(self, subject: str) -> set[_Attributed]:
        found = self.found.get(subject)
        if found is None:
            found = self.found[subject] = set()
        return found

    def no_key(self, path: str) -> DisclosureUnavailable:
        return DisclosureUnavailable(
            f"a {self.stage.subject} disclosing {path} has no {self.stage.key} in the "
            "subgraphs' answer: whose data it is cannot be recorded"
        )


def _leaves(plan: _Plan, prefix: str, inherited: frozenset[int]) -> tuple[_Attributed, ...]:
    """What the leaves of an object at `prefix` attribute, in a response without errors."""
    return tuple(
        (prefix + entry.dotted if prefix else entry.name, inherited | entry.requirements)
        for entry in plan.leaves
        if inherited or entry.requirements
    )


def _scopes_held(requirements: list[Requirement], held: frozenset[str]) -> frozenset[str]:
    """Per requirement, the groups the caller holds: those let the field through. Where it
    holds none (an interface's requirement the selection did not pass through), all groups:
    the record may say more than was needed, never less."""
    scopes: set[str] = set()
    for requirement in requirements:
        groups = [group for group in requirement.groups if group <= held]
        scopes.update(*(groups or requirement.groups))
    return frozenset(scopes)


def _load_hook(spec: str) -> DisclosureHook:
    module_name, _, attribute = spec.partition(":")
    try:
        hook = getattr(importlib.import_module(module_name), attribute)
    except Exception as error:  # whatever importing the operator's module raises
        raise ConfigurationError(
            f"GATEWAY_DISCLOSURE_HOOK: cannot import {spec!r}: {error}"
        ) from None
    if not callable(hook):
        raise ConfigurationError(f"GATEWAY_DISCLOSURE_HOOK: {spec!r} is not callable")
    return hook  # type: ignore[no-any-return]
