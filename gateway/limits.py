"""Stage 1: refuse a document too big to handle before anything costly reads it.

    query text ─▶ length ─▶ tokens (read by a regular expression, stopped at the limit)
               ─▶ an outline of the selections read from the tokens, measured as below:
                  a document over a limit is refused without being parsed
               ─▶ parse (graphql-core, bounded by the same token limit)
               ─▶ one walk per definition: directives per selection; its own fields,
                  aliases, depth, root fields; the fragments it spreads
               ─▶ fragments in dependency order, each one's totals with its spreads
                  expanded, memoised ─▶ every definition checked against the limits
               ─▶ the pairs of fields sharing a response key, counted on each
                  definition's shape (fragments' shapes memoised, then merged)

Validation (OverlappingFieldsCanBeMerged compares fields pairwise) and normalisation (which
inlines fragments) cost in proportion to the document with its fragments expanded, so neither
may see a document over the limits. Thirty fragments each spreading the next one twice are a
kilobyte of text and a billion fields: memoising each fragment's totals measures a document at
its expanded size in time linear in its text, without expanding anything. Fragment cycles are
refused here (validation's own rule would be the first to report them, but other rules walk
the spreads too); an unknown fragment counts as empty and is left to validation's error.

OverlappingFieldsCanBeMerged compares every two fields that land on one response key (the
same path in the result), through inline fragments, spreads and the merged sub-selections
of same-key fields: a thousand `name`s cost half a million comparisons, and a thousand tokens
are enough for them. So the document's comparisons are counted before validation makes them:
a definition's *shape* maps each response key to the number of fields there and the shape
below it; merging two shapes adds, for each key both hold, the product of their counts (the
pairs validation compares there). A fragment's shape is built once and shared, never copied
whole, so counting costs in proportion to the pairs counted, and stops at the limit.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, TypeAlias

from graphql import (
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    NameNode,
    OperationDefinitionNode,
    OperationType,
    SelectionNode,
    SelectionSetNode,
    parse,
)

from gateway.errors import (
    GRAPHQL_VALIDATION_FAILED,
    MAX_ALIASES_EXCEEDED,
    MAX_DEPTH_EXCEEDED,
    MAX_DIRECTIVES_EXCEEDED,
    MAX_FIELD_PAIRS_EXCEEDED,
    MAX_FIELDS_EXCEEDED,
    MAX_QUERY_LENGTH_EXCEEDED,
    MAX_ROOT_FIELDS_EXCEEDED,
    MAX_TOKENS_EXCEEDED,
)
from gateway.settings import GatewaySettings

# What graphql-core's lexer reads as one token (block strings, strings, comments, the spread,
# numbers, names, punctuators); any other character that is not ignored counts as one token
# too, and the parser refuses it later. Runs of plain characters are matched at once, so a long
# string or comment costs one match. The string patterns are possessive (`++`, `*+`): a run
# inside a repeated group could otherwise be split every possible way before an unterminated
# string is given up on, and 30 characters (`"aaa…`) would cost seconds.
_TOKEN = re.compile(
    r'"""(?:[^"\\]++|\\"""|\\|"(?!""))*+"""'
    r'|"(?:[^"\\\n\r]++|\\.)*+"'
    r"|#[^\n\r]*"
    r"|\.\.\."
    r"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?"
    r"|[_A-Za-z][_0-9A-Za-z]*"
    r"|[^\s,\ufeff]"
)
_TOO_MANY_TOKENS = re.compile(r"^Syntax Error: Document contains more than \d+ tokens")
_NESTED_TOO_DEEPLY = "Document is nested too deeply."
# Response key -> (fields there, the shape of their merged sub-selections); built once per
# definition, a fragment's shared by every definition that spreads it, so never mutated.
_Shape: TypeAlias = dict[str, tuple[int, "_Shape | None"]]
# The entry of a shape counting the fragments spread at its place, with those they spread:
# validation compares the fragments met there pairwise too, shared keys or not. No response
# key can be spelt so.
_SPREADS = "..."
# Totals stop growing here: a fragment bomb is refused all the same, and the numbers stay
# machine-sized (and printable: str() refuses ints of more than 4300 digits).
_SATURATED = 10**18


class LimitExceeded(Exception):
    """The document is over a limit; `formatted` is the GraphQL error the client gets."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.formatted: dict[str, Any] = {"message": message, "extensions": {"code": code}}


@dataclass(frozen=True, slots=True)
class RequestLimits:
    max_query_length: int
    max_tokens: int
    max_depth: int
    max_aliases: int
    max_root_fields: int
    max_directives: int
    max_fields: int
    max_field_pairs: int

    @classmethod
    def from_settings(cls, settings: GatewaySettings) -> RequestLimits:
        return cls(
            max_query_length=settings.max_query_length,
            max_tokens=settings.max_tokens,
            max_depth=settings.max_depth,
            max_aliases=settings.max_aliases,
            max_root_fields=settings.max_root_fields,
            max_directives=settings.max_directives,
            max_fields=settings.max_fields,
            max_field_pairs=settings.max_field_pairs,
        )


def parse_within_limits(query: str, limits: RequestLimits) -> DocumentNode:
    """The parsed document, or LimitExceeded; a syntax error is raised as graphql-core's
    GraphQLError."""
    if len(query) > limits.max_query_length:
        raise LimitExceeded(
            f"The query is {len(query)} characters long; at most {limits.max_query_length}"
            " are allowed.",
            MAX_QUERY_LENGTH_EXCEEDED,
        )
    # The parser spends some 20 µs on a token; reading them with a regular expression costs
    # well under one, so a flood is refused before the parser sees it. The parser's own limit
    # backs this count.
    tokens = [m.group() for m in islice(_TOKEN.finditer(query), limits.max_tokens + 1)]
    if len(tokens) > limits.max_tokens:
        raise _too_many_tokens(limits)
    # An outline of the document from those tokens (its selections, nothing else) is measured
    # first, so a document over a limit is refused in a fraction of what parsing it costs.
    # The parsed document is measured again: the outline only refuses early, never admits.
    early = outline([t for t in tokens if t[0] != "#"])
    if early is not None:
        check_document(early, limits)
    try:
        document = parse(query, max_tokens=limits.max_tokens)
    except GraphQLError as error:
        if _TOO_MANY_TOKENS.match(str(error)):
            raise _too_many_tokens(limits) from None
        if _NESTED_TOO_DEEPLY in error.message:
            raise LimitExceeded(
                "The document nests selections or values too deeply to be read; at most"
                f" {limits.max_depth} fields deep are allowed.",
                MAX_DEPTH_EXCEEDED,
            ) from None
        raise
    check_document(document, limits)
    return document


def check_document(document: DocumentNode, limits: RequestLimits) -> None:
    """Raise LimitExceeded if any operation or fragment of `document`, its fragments
    expanded, is over a limit."""
    own: list[tuple[str, _Measure, OperationDefinitionNode | FragmentDefinitionNode]] = []
    fragments: dict[str, _Measure] = {}
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            name = f"operation '{definition.name.value}'" if definition.name else "operation"
        elif isinstance(definition, FragmentDefinitionNode):
            name = f"fragment '{definition.name.value}'"
            if definition.name.value in fragments:
                # Validation's own message; refused here, as the second definition would
                # otherwise go unmeasured.
                raise LimitExceeded(
                    f"There can be only one fragment named '{definition.name.value}'.",
                    GRAPHQL_VALIDATION_FAILED,
                )
        else:
            continue  # a type definition: validation refuses it
        _check_directives(len(definition.directives or ()), name, limits)
        measure = _Measure()
        measure.walk(definition.selection_set, 0, name, limits)
        own.append((name, measure, definition))
        if isinstance(definition, FragmentDefinitionNode):
            fragments[definition.name.value] = measure
    totals = _fragment_totals(fragments)
    for name, measure, _ in own:
        _check_totals(name, measure.expanded(totals), limits)
    # Only now, every definition being within max_fields expanded, are shapes built: each
    # fragment after those it spreads (the order of `totals`), then the operations.
    pairs = _FieldPairs(limits.max_field_pairs)
    shapes: dict[str, _Shape] = {}
    definitions = {name: definition for name, _, definition in own}
    for fragment in totals:
        name = f"fragment '{fragment}'"
        shapes[fragment] = pairs.shape(definitions[name].selection_set, shapes, name)
    for name, _, definition in own:
        if isinstance(definition, OperationDefinitionNode):
            pairs.shape(definition.selection_set, shapes, name)


@dataclass(slots=True)
class _Measure:
    """One definition's own selections; its spreads are added from the fragments' totals."""

    fields: int = 0
    aliases: int = 0
    depth: int = 0
    root_fields: int = 0
    # (fragment, fields above the spread): a fragment spread at 0 adds its root fields.
    spreads: list[tuple[str, int]] = field(default_factory=list)

    def walk(self, node: SelectionSetNode, above: int, name: str, limits: RequestLimits) -> None:
        # Recursion is bounded: the parser refuses selection sets nested over 200 deep.
        for selection in node.selections:
            _check_directives(len(selection.directives or ()), name, limits)
            if isinstance(selection, FieldNode):
                self.fields += 1
                if selection.alias is not None:
                    self.aliases += 1
                if above == 0:
                    self.root_fields += 1
                if above >= self.depth:
                    self.depth = above + 1
                if selection.selection_set is not None:
                    self.walk(selection.selection_set, above + 1, name, limits)
            elif isinstance(selection, InlineFragmentNode):
                self.walk(selection.selection_set, above, name, limits)
            elif isinstance(selection, FragmentSpreadNode):
                self.spreads.append((selection.name.value, above))

    def expanded(self, totals: dict[str, _Totals]) -> _Totals:
        fields, aliases, depth = self.fields, self.aliases, self.depth
        root_fields = self.root_fields
        for fragment, above in self.spreads:
            spread = totals.get(fragment)
            if spread is None:
                continue  # unknown: validation says so
            fields = min(fields + spread.fields, _SATURATED)
            aliases = min(aliases + spread.aliases, _SATURATED)
            depth = max(depth, above + spread.depth)
            if above == 0:
                root_fields = min(root_fields + spread.root_fields, _SATURATED)
        return _Totals(fields, aliases, depth, root_fields)


@dataclass(frozen=True, slots=True)
class _Totals:
    fields: int
    aliases: int
    depth: int
    root_fields: int


def _fragment_totals(fragments: dict[str, _Measure]) -> dict[str, _Totals]:
    """Every fragment's totals, each fragment after those it spreads. A depth-first walk with
    its own stack: a chain of thousands of fragments must not reach Python's recursion limit."""
    totals: dict[str, _Totals] = {}
    for root in fragments:
        if root in totals:
            continue
        path: list[tuple[str, Iterator[tuple[str, int]]]] = [(root, iter(fragments[root].spreads))]
        on_path = {root}
        while path:
            name, pending = path[-1]
            for spread, _above in pending:
                if spread in on_path:
                    cycle = [n for n, _ in path[[n for n, _ in path].index(spread) :]]
                    via = ", ".join(f"'{n}'" for n in cycle[1:])
                    raise LimitExceeded(
                        f"Cannot spread fragment '{spread}' within itself"
                        + (f" via {via}." if via else "."),
                        GRAPHQL_VALIDATION_FAILED,
                    )
                if spread in fragments and spread not in totals:
                    path.append((spread, iter(fragments[spread].spreads)))
                    on_path.add(spread)
                    break
            else:
                path.pop()
                on_path.discard(name)
                totals[name] = fragments[name].expanded(totals)
    return totals


class _FieldPairs:
    """Counts, over the whole document, the pairs of fields validation compares because they
    share a response key; raises LimitExceeded past the limit."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.count = 0
        self.definition = ""

    def shape(self, node: SelectionSetNode, shapes: dict[str, _Shape], definition: str) -> _Shape:
        self.definition = definition
        shape: _Shape = {}
        self._collect(node, shapes, shape)
        return shape

    def _collect(self, node: SelectionSetNode, shapes: dict[str, _Shape], into: _Shape) -> None:
        """Adds the selections of `node` (a fresh, unshared shape's level) to `into`."""
        for selection in node.selections:
            if isinstance(selection, FieldNode):
                below: _Shape | None = None
                if selection.selection_set is not None:
                    below = {}
                    self._collect(selection.selection_set, shapes, below)
                key = selection.alias.value if selection.alias else selection.name.value
                self._add(into, key, 1, below)
            elif isinstance(selection, InlineFragmentNode):
                self._collect(selection.selection_set, shapes, into)
            elif isinstance(selection, FragmentSpreadNode):
                spread = shapes.get(selection.name.value)
                if spread is None:
                    continue  # unknown: validation says so
                # The fragment and those it spreads meet the other spreads here; among
                # themselves they were compared where the fragment was defined.
                spreads = 1 + spread.get(_SPREADS, (0, None))[0]
                if not into:
                    into.update(spread)  # the entries are shared, the level itself is not
                    into[_SPREADS] = (spreads, None)
                    continue
                for key, (count, below) in spread.items():
                    if key != _SPREADS:
                        self._add(into, key, count, below)
                self._add(into, _SPREADS, spreads, None)

    def _add(self, into: _Shape, key: str, count: int, below: _Shape | None) -> None:
        present = into.get(key)
        if present is None:
            into[key] = (count, below)
            return
        self.count += present[0] * count
        if self.count > self.limit:
            what = "spreads fragments" if key == _SPREADS else f"selects '{key}'"
            raise LimitExceeded(
                f"The {self.definition} {what} {present[0] + count} times at one place,"
                f" fragments expanded: validation would compare more than {self.limit} pairs"
                " of fields sharing a response key (or of fragments spread together).",
                MAX_FIELD_PAIRS_EXCEEDED,
            )
        into[key] = (present[0] + count, self._merged(present[1], below))

    def _merged(self, one: _Shape | None, other: _Shape | None) -> _Shape | None:
        """A new shape (both may be shared): a copy of the larger, the smaller added to it."""
        if one is None or other is None:
            return other if one is None else one
        if len(one) < len(other):
            one, other = other, one
        merged = dict(one)
        for key, (count, below) in other.items():
            self._add(merged, key, count, below)
        return merged


def _check_directives(count: int, name: str, limits: RequestLimits) -> None:
    if count > limits.max_directives:
        raise LimitExceeded(
            f"A selection of the {name} has {count} directives; at most"
            f" {limits.max_directives} are allowed.",
            MAX_DIRECTIVES_EXCEEDED,
        )


def _check_totals(name: str, totals: _Totals, limits: RequestLimits) -> None:
    if totals.depth > limits.max_depth:
        raise LimitExceeded(
            f"The {name} is {totals.depth} fields deep; at most {limits.max_depth} are allowed.",
            MAX_DEPTH_EXCEEDED,
        )
    if totals.aliases > limits.max_aliases:
        raise LimitExceeded(
            f"The {name} uses {_count(totals.aliases)} aliases, fragments expanded; at most"
            f" {limits.max_aliases} are allowed.",
            MAX_ALIASES_EXCEEDED,
        )
    if totals.fields > limits.max_fields:
        raise LimitExceeded(
            f"The {name} selects {_count(totals.fields)} fields, fragments expanded; at most"
            f" {limits.max_fields} are allowed.",
            MAX_FIELDS_EXCEEDED,
        )
    if totals.root_fields > limits.max_root_fields:
        raise LimitExceeded(
            f"The {name} selects {_count(totals.root_fields)} root fields, fragments"
            f" expanded; at most {limits.max_root_fields} are allowed.",
            MAX_ROOT_FIELDS_EXCEEDED,
        )


_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")
_OPERATIONS = {
    "query": OperationType.QUERY,
    "mutation": OperationType.MUTATION,
    "subscription": OperationType.SUBSCRIPTION,
}
# Selection sets nested deeper than this are left to the parser, which refuses them.
_OUTLINE_NESTING = 150
# graphql-core's nodes check every attribute as it is set; an outline node sets only what
# check_document reads, straight into its slots: ten times cheaper, which is the point.
_set = object.__setattr__


class _Name(NameNode):
    __slots__ = ()

    def __init__(self, value: str) -> None:
        _set(self, "value", value)


class _Field(FieldNode):
    __slots__ = ()

    def __init__(
        self,
        alias: NameNode | None,
        name: NameNode,
        directives: tuple[DirectiveNode, ...],
        selection_set: SelectionSetNode | None,
    ) -> None:
        _set(self, "alias", alias)
        _set(self, "name", name)
        _set(self, "directives", directives)
        _set(self, "selection_set", selection_set)


class _InlineFragment(InlineFragmentNode):
    __slots__ = ()

    def __init__(
        self, directives: tuple[DirectiveNode, ...], selection_set: SelectionSetNode
    ) -> None:
        _set(self, "directives", directives)
        _set(self, "selection_set", selection_set)


class _Spread(FragmentSpreadNode):
    __slots__ = ()

    def __init__(self, name: NameNode, directives: tuple[DirectiveNode, ...]) -> None:
        _set(self, "name", name)
        _set(self, "directives", directives)


class _SelectionSet(SelectionSetNode):
    __slots__ = ()

    def __init__(self, selections: tuple[SelectionNode, ...]) -> None:
        _set(self, "selections", selections)


class _NotAnOutline(Exception):
    """The tokens are not an executable document this outline reads: the parser decides."""


def outline(tokens: list[str]) -> DocumentNode | None:
    """The document's definitions and selections as graphql-core nodes holding what
    check_document reads (names, aliases, directives, fragments; arguments and variables
    skipped), read from its tokens; None where the text is not plainly an executable
    document."""
    reader = _OutlineReader(tokens)
    try:
        return reader.document()
    except (_NotAnOutline, IndexError):
        return None


class _OutlineReader:
    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.at = 0
        self.nesting = 0
        # One node per distinct name: a flood repeats a few names many times.
        self.names: dict[str, NameNode] = {}
        self.directive_nodes: dict[str, DirectiveNode] = {}

    def take(self) -> str:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def name(self) -> NameNode:
        token = self.take()
        node = self.names.get(token)
        if node is None:
            if not _NAME.fullmatch(token):
                raise _NotAnOutline
            node = self.names[token] = _Name(token)
        return node

    def document(self) -> DocumentNode:
        definitions: list[OperationDefinitionNode | FragmentDefinitionNode] = []
        while self.at < len(self.tokens):
            token = self.tokens[self.at]
            if token == "{":
                definitions.append(
                    OperationDefinitionNode(
                        operation=OperationType.QUERY,
                        directives=(),
                        selection_set=self.selections(),
                    )
                )
            elif token in _OPERATIONS:
                self.at += 1
                name = None
                if _NAME.fullmatch(self.tokens[self.at]):
                    name = self.name()
                self.skip_arguments()
                directives = self.directives()
                definitions.append(
                    OperationDefinitionNode(
                        operation=_OPERATIONS[token],
                        name=name,
                        directives=directives,
                        selection_set=self.selections(),
                    )
                )
            elif token == "fragment":
                self.at += 1
                name = self.name()
                if self.take() != "on":
                    raise _NotAnOutline
                self.name()
                directives = self.directives()
                definitions.append(
                    FragmentDefinitionNode(
                        name=name, directives=directives, selection_set=self.selections()
                    )
                )
            else:
                raise _NotAnOutline
        return DocumentNode(definitions=tuple(definitions))

    def selections(self) -> SelectionSetNode:
        if self.take() != "{":
            raise _NotAnOutline
        self.nesting += 1
        if self.nesting > _OUTLINE_NESTING:
            raise _NotAnOutline
        tokens = self.tokens
        selections: list[SelectionNode] = []
        while tokens[self.at] != "}":
            if tokens[self.at] == "...":
                self.at += 1
                following = tokens[self.at]
                if following == "on" or following in ("@", "{"):
                    if following == "on":
                        self.at += 1
                        self.name()
                    directives = self.directives()
                    selections.append(_InlineFragment(directives, self.selections()))
                else:
                    selections.append(_Spread(self.name(), self.directives()))
                continue
            alias, name = None, self.name()
            if tokens[self.at] == ":":
                self.at += 1
                alias, name = name, self.name()
            if tokens[self.at] == "(":
                self.skip_arguments()
            directives = self.directives() if tokens[self.at] == "@" else ()
            below = self.selections() if tokens[self.at] == "{" else None
            selections.append(_Field(alias, name, directives, below))
        self.at += 1
        self.nesting -= 1
        return _SelectionSet(tuple(selections))

    def directives(self) -> tuple[DirectiveNode, ...]:
        directives: list[DirectiveNode] = []
        while self.tokens[self.at] == "@":
            self.at += 1
            name = self.name()
            node = self.directive_nodes.get(name.value)
            if node is None:
                node = self.directive_nodes[name.value] = DirectiveNode(name=name, arguments=())
            directives.append(node)
            self.skip_arguments()
        return tuple(directives)

    def skip_arguments(self) -> None:
        """Past `( ... )` (arguments or variable definitions) if one starts here."""
        if self.tokens[self.at] != "(":
            return
        depth = 0
        while True:
            token = self.take()
            if token == "(":
                depth += 1
            elif token == ")":
                depth -= 1
                if depth == 0:
                    return


def _count(value: int) -> str:
    return "more than 10^18" if value >= _SATURATED else str(value)


def _too_many_tokens(limits: RequestLimits) -> LimitExceeded:
    return LimitExceeded(
        f"The query has more than {limits.max_tokens} tokens; at most {limits.max_tokens}"
        " are allowed.",
        MAX_TOKENS_EXCEEDED,
    )


__all__ = ["LimitExceeded", "RequestLimits", "check_document", "outline", "parse_within_limits"]
