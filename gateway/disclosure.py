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
_MEMO = "disclosure"  # this stage's key in SelectionSet.memo, beside the shaper's type names
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
    requirements: tuple[Requirement, ...]  # the @requiresScopes ones, on this field alone
    selection_set: SelectionSet | None
    type_name: str  # the named type it returns
    abstract: bool


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
        self._requirements: dict[tuple[str, str], tuple[Requirement, ...]] = {}

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
            await asyncio.wait_for(self.hook(claims, disclosures, trace_id), self.timeout)
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
        walk.walk_object(shaped, root_type, data, merged, None, "", ())
        return [
            Disclosure(subject, tuple(sorted(paths)), _scopes_held(requirements, scopes))
            for subject, (paths, requirements) in sorted(walk.found.items())
        ]

    def entries(self, selection_set: SelectionSet, type_name: str) -> list[_Entry]:
        memo_key = (_MEMO, type_name)
        entries: list[_Entry] | None = selection_set.memo.get(memo_key)
        if entries is None:
            entries = []
            fields = self.types[type_name].fields
            for key, item in selection_set.collect_fields(type_name, self.possible).items():
                if item.denied or item.name.startswith("__"):
                    continue
                returned = fields[item.name].type_name
                returned_def = self.types.get(returned)
                entries.append(
                    _Entry(
                        key,
                        item.name,
                        self._scoped(type_name, item.name),
                        item.selection_set,
                        returned,
                        returned_def is not None and returned_def.is_abstract,
                    )
                )
            selection_set.memo[memo_key] = entries
        return entries

    def _scoped(self, type_name: str, field_name: str) -> tuple[Requirement, ...]:
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
            found = tuple(r for r in dict.fromkeys(candidates) if r.directive == "requiresScopes")
            self._requirements[(type_name, field_name)] = found
        return found


class _Walk:
    """One response's walk: the shaped response for what was shown, the merged data beside
    it for the hidden keys and runtime types, the errors for the nulls they explain."""

    def __init__(self, stage: Disclosures, errors: Sequence[Mapping[str, Any]]) -> None:
        self.stage = stage
        self.found: dict[str, tuple[set[str], set[Requirement]]] = {}
        # Every prefix of an error's path: a null there is the error's, not an answer.
        self.explained: set[tuple[str | int, ...]] = set()
        for error in errors:
            path = error.get("path")
            if isinstance(path, list):
                self.explained.update(tuple(path[:end]) for end in range(1, len(path) + 1))
        self.where: list[str | int] = []  # the response path being walked, indices included

    def walk_object(
        self,
        selection_set: SelectionSet,
        type_name: str,
        shown: Mapping[str, Any],
        merged: Mapping[str, Any] | None,
        subject: object,
        prefix: str,
        inherited: tuple[Requirement, ...],
    ) -> bool:
        """Walk one object; True when something was attributed to `subject` below it."""
        outer = subject
        if type_name == self.stage.subject:
            key = merged.get(self.stage.key) if merged is not None else None
            subject = _NO_KEY if key is None else str(key)
            prefix, inherited = "", ()
        attributed = False
        for entry in self.stage.entries(selection_set, type_name):
            value = shown.get(entry.response_key)
            requirements = inherited + entry.requirements if entry.requirements else inherited
            if value is None and (
                not requirements
                or subject is None
                or (*self.where, entry.response_key) in self.explained
            ):
                continue
            path = f"{prefix}.{entry.name}" if prefix else entry.name
            below = False
            if value is not None and entry.selection_set is not None:
                inner = merged.get(entry.response_key) if merged is not None else None
                self.where.append(entry.response_key)
                below = self.walk_value(entry, value, inner, subject, path, requirements)
                self.where.pop()
            if requirements and subject is not None and not below:
                self.attribute(subject, path, requirements)
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
        path: str,
        requirements: tuple[Requirement, ...],
    ) -> bool:
        assert entry.selection_set is not None
        if isinstance(shown, list):
            merged_items = merged if isinstance(merged, list) else []
            attributed = False
            for index, item in enumerate(shown):
                if item is not None:
                    inner = merged_items[index] if index < len(merged_items) else None
                    self.where.append(index)
                    below = self.walk_value(entry, item, inner, subject, path, requirements)
                    self.where.pop()
                    attributed = attributed or below
            return attributed
        runtime = entry.type_name
        if entry.abstract:
            typename = merged.get("__typename") if isinstance(merged, dict) else None
            runtime_def = self.stage.types.get(typename) if isinstance(typename, str) else None
            if runtime_def is None or runtime_def.name in self.stage.abstract_holders:
                # An @interfaceObject answer names the interface: it may be a subject.
                raise DisclosureUnavailable(
                    f"the type of the object at {path} is unknown: it may be a "
                    f"{self.stage.subject}, whose data cannot be attributed"
                )
            runtime = runtime_def.name
        return self.walk_object(
            entry.selection_set, runtime, shown, merged, subject, path, requirements
        )

    def attribute(self, subject: object, path: str, requirements: tuple[Requirement, ...]) -> None:
        if subject is _NO_KEY:
            raise DisclosureUnavailable(
                f"a {self.stage.subject} disclosing {path} has no {self.stage.key} in the "
                "subgraphs' answer: whose data it is cannot be recorded"
            )
        assert isinstance(subject, str)
        found = self.found.get(subject)
        if found is None:
            found = self.found[subject] = (set(), set())
        found[0].add(path)
        found[1].update(requirements)


def _scopes_held(requirements: set[Requirement], held: frozenset[str]) -> frozenset[str]:
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
