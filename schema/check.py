"""Schema checks: a proposed subgraph change, judged against everyone else's current subgraphs.

    current subgraphs ─ compose ─▶ API schema ──────────┐
                                                        ├─ diff_schemas ─▶ changes
    proposed subgraphs ─ compose ─▶ API schema ─────────┘        │
                           │              │                      │ breaking ones an
                           ▼              ▼                      ▼ operation uses
                   composition errors   each operation: valid against it? ─▶ broken / affected

Without operations every breaking change fails the check. With operations the check is
usage-based, as a schema registry's is: it fails only when an operation is broken (no longer
valid) or affected (still valid, but it uses an element a breaking change touched, such as a
field that may now be null); breaking changes no operation uses are reported and pass.
Operations that were already invalid against the current schema are reported, not counted.

Exit codes: 0 passed, 1 composition errors, 2 bad arguments or unreadable input (raised by
the callers' readers, not here), 3 breaking changes or broken operations.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from graphql import GraphQLSchema, validate

from gateway.api_schema import build_api_schema
from gateway.errors import SupergraphError
from gateway.supergraph import parse_supergraph
from schema.changes import BREAKING, DANGEROUS, SAFE, Change, diff_schemas
from schema.compose import Subgraph, compose
from schema.errors import CompositionError
from schema.operations import Operation
from schema.usage import used_elements

EXIT_PASSED = 0
EXIT_COMPOSITION = 1
EXIT_USAGE = 2
EXIT_BREAKING = 3

# Where a new subgraph's URL is not given: the URL is never called by a check.
NEW_SUBGRAPH_URL = "http://{name}.invalid/graphql"

Status = Literal["broken", "affected", "unaffected", "invalid_before"]


@dataclass(frozen=True)
class OperationResult:
    operation: Operation
    status: Status
    errors: tuple[str, ...]  # validation errors against the proposed schema (or current one)
    changes: tuple[Change, ...]  # the breaking changes it uses

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.operation.id,
            "name": self.operation.name,
            "source": self.operation.source,
            "status": self.status,
            "errors": list(self.errors),
            "breaking_changes": [change.coordinate for change in self.changes],
        }


@dataclass(frozen=True)
class CheckReport:
    replaced: tuple[str, ...]
    added: tuple[str, ...]
    # Errors composing the proposed set; or, when `current_failed`, the current one.
    composition_errors: tuple[CompositionError, ...] = ()
    current_failed: bool = False
    changes: tuple[Change, ...] = ()
    operations: tuple[OperationResult, ...] | None = None  # None: no operations were given

    def breaking(self) -> list[Change]:
        return [change for change in self.changes if change.severity == BREAKING]

    def failing_operations(self) -> list[OperationResult]:
        return [r for r in self.operations or () if r.status in ("broken", "affected")]

    def unused_breaking(self) -> list[Change]:
        """Breaking changes no given operation uses; empty when no operations were given."""
        if self.operations is None:
            return []
        used = {change for result in self.operations for change in result.changes}
        return [change for change in self.breaking() if change not in used]

    @property
    def exit_code(self) -> int:
        if self.composition_errors:
            return EXIT_COMPOSITION
        if self.operations is not None:
            return EXIT_BREAKING if self.failing_operations() else EXIT_PASSED
        return EXIT_BREAKING if self.breaking() else EXIT_PASSED

    def verdict(self) -> str:
        if self.composition_errors:
            which = "current" if self.current_failed else "proposed"
            return f"the {which} subgraphs do not compose"
        if self.operations is not None:
            failing = self.failing_operations()
            if failing:
                return f"{len(failing)} operation(s) broken or affected"
            return "no operation is broken"
        breaking = self.breaking()
        return f"{len(breaking)} breaking change(s)" if breaking else "no breaking change"

    def as_json(self) -> dict[str, Any]:
        return {
            "result": "pass" if self.exit_code == EXIT_PASSED else "fail",
            "exit_code": self.exit_code,
            "verdict": self.verdict(),
            "subgraphs": {"replaced": list(self.replaced), "added": list(self.added)},
            "composition": {
                "of": "current" if self.current_failed else "proposed",
                "errors": [
                    {"code": e.code, "message": e.message, "subgraph": e.subgraph}
                    for e in self.composition_errors
                ],
            },
            "changes": [change.as_json() for change in self.changes],
            "operations": (
                None if self.operations is None else [r.as_json() for r in self.operations]
            ),
            "unused_breaking_changes": [change.as_json() for change in self.unused_breaking()],
        }

    def as_text(self) -> str:
        return "\n".join(_text_lines(self)) + "\n"


def proposed_set(current: Sequence[Subgraph], proposed: Sequence[Subgraph]) -> list[Subgraph]:
    """`current` with each proposed subgraph replacing the one of its name, or added."""
    by_name = {subgraph.name: subgraph for subgraph in current}
    for subgraph in proposed:
        if subgraph.name in by_name:
            subgraph = Subgraph(subgraph.name, by_name[subgraph.name].url, subgraph.sdl)
        by_name[subgraph.name] = subgraph
    return list(by_name.values())


def run_check(
    current: Sequence[Subgraph],
    proposed: Sequence[Subgraph],
    operations: Sequence[Operation] | None = None,
) -> CheckReport:
    names = {subgraph.name for subgraph in current}
    replaced = tuple(s.name for s in proposed if s.name in names)
    added = tuple(s.name for s in proposed if s.name not in names)
    old = _api_schema(current)
    if isinstance(old, tuple):
        return CheckReport(replaced, added, old, current_failed=True)
    new = _api_schema(proposed_set(current, proposed))
    if isinstance(new, tuple):
        return CheckReport(replaced, added, new)
    changes = tuple(diff_schemas(old, new))
    if operations is None:
        return CheckReport(replaced, added, changes=changes)
    breaking = [change for change in changes if change.severity == BREAKING]
    results = tuple(_check_operation(op, old, new, breaking) for op in operations)
    return CheckReport(replaced, added, changes=changes, operations=results)


def _api_schema(subgraphs: Sequence[Subgraph]) -> GraphQLSchema | tuple[CompositionError, ...]:
    result = compose(subgraphs)
    if result.supergraph_sdl is None:
        return result.errors
    try:
        return build_api_schema(parse_supergraph(result.supergraph_sdl))
    except SupergraphError as error:
        # The gateway could not serve this supergraph: as fatal as a composition error.
        return (CompositionError("INVALID_SUPERGRAPH", str(error)),)


def _check_operation(
    operation: Operation, old: GraphQLSchema, new: GraphQLSchema, breaking: list[Change]
) -> OperationResult:
    before = validate(old, operation.document)
    if before:
        return OperationResult(operation, "invalid_before", _messages(before), ())
    used = used_elements(old, operation.document)
    touched = tuple(change for change in breaking if change.used_by in used)
    errors = _messages(validate(new, operation.document))
    if errors:
        return OperationResult(operation, "broken", errors, touched)
    return OperationResult(operation, "affected" if touched else "unaffected", (), touched)


def _messages(errors: Sequence[Any]) -> tuple[str, ...]:
    return tuple(error.message for error in errors)


def _text_lines(report: CheckReport) -> Iterator[str]:
    what = [f"{name} replaced" for name in report.replaced]
    what += [f"{name} added" for name in report.added]
    yield f"schema check: {', '.join(what)}"
    if report.composition_errors:
        which = "current" if report.current_failed else "proposed"
        yield f"composition of the {which} subgraphs failed:"
        for error in report.composition_errors:
            yield f"  {error}"
    else:
        yield "composition: ok"
        counts = {
            severity: sum(1 for c in report.changes if c.severity == severity)
            for severity in (BREAKING, DANGEROUS, SAFE)
        }
        summary = ", ".join(f"{n} {severity.lower()}" for severity, n in counts.items())
        yield ""
        yield f"changes to the API schema: {summary}" if report.changes else "no API change"
        for change in report.changes:
            yield f"  {change.severity:<9} {change.code:<30} {change.message}"
    if report.operations is not None and not report.composition_errors:
        yield from _operation_lines(report)
    yield ""
    verdict = "pass" if report.exit_code == EXIT_PASSED else "FAIL"
    yield f"result: {verdict} (exit {report.exit_code}): {report.verdict()}"


def _operation_lines(report: CheckReport) -> Iterator[str]:
    results = report.operations or ()
    counts = {
        status: sum(1 for r in results if r.status == status)
        for status in ("broken", "affected", "unaffected", "invalid_before")
    }
    yield ""
    yield (
        f"operations: {len(results)} checked: {counts['broken']} broken, "
        f"{counts['affected']} affected, {counts['unaffected']} unaffected"
        + (
            f", {counts['invalid_before']} already invalid against the current schema"
            if counts["invalid_before"]
            else ""
        )
    )
    for result in results:
        if result.status == "unaffected":
            continue
        yield f"  {result.status:<14} {result.operation.label()} ({result.operation.source})"
        for error in result.errors:
            yield f"      {error}"
        for change in result.changes:
            yield f"      uses: {change.message}"
    unused = report.unused_breaking()
    if unused:
        yield ""
        yield (
            "breaking changes no given operation uses (reported; with operations given they "
            "do not fail the check):"
        )
        for change in unused:
            yield f"  {change.code:<30} {change.message}"
