"""Composition errors and hints: values naming the code, the subgraph and the element at fault.

Codes are Apollo's where Apollo has one for the same rule, so a message from this composer can
be looked up in Apollo's documentation; the few of ours (`NO_SUBGRAPHS`) are listed in
docs/composition.md.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CompositionError:
    """One broken rule. `subgraph` is None when the fault is in the merged supergraph."""

    code: str
    message: str
    subgraph: str | None = None
    element: str | None = None

    def __str__(self) -> str:
        where = f"[{self.subgraph}] " if self.subgraph else ""
        return f"{self.code}: {where}{self.message}"


@dataclass(frozen=True)
class CompositionHint:
    """Something composition accepted but changed or dropped; worth a look, never fatal."""

    code: str
    message: str
    element: str | None = None

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"
