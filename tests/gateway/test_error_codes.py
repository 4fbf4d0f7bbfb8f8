"""Every `extensions.code` the gateway writes is named in gateway/errors.py (`CODES`), and the
platforms' guide (docs/platforms.md, "Codes the gateway writes") explains exactly those."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from gateway.errors import CODES

_ROOT = Path(__file__).resolve().parents[2]
_GUIDE = _ROOT / "docs" / "platforms.md"
# How a code is spelled; single words too (UNAUTHENTICATED), which the check below catches
# only when they are already in CODES.
_CODE_LIKE = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")
# Upper-case strings that are not codes: GraphQL type kinds.
_NOT_CODES = frozenset({"INPUT_OBJECT"})


def _guide_codes() -> list[str]:
    """The first column of the table under the heading naming the gateway's codes."""
    text = _GUIDE.read_text(encoding="utf-8")
    section = text.split("### Codes the gateway writes", 1)[1].split("\n### ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return [re.match(r"\| `([A-Z_]+)` \|", row).group(1) for row in rows]  # type: ignore[union-attr]


def test_the_guide_explains_every_code_of_the_gateway_and_no_other() -> None:
    documented = _guide_codes()
    assert len(documented) == len(set(documented)), "a code is listed twice"
    assert sorted(CODES - set(documented)) == [], "codes the guide does not explain"
    assert sorted(set(documented) - CODES) == [], "codes the gateway no longer writes"


def test_codes_are_written_through_gateway_errors_only() -> None:
    """A code spelled out as a string anywhere else in the gateway would escape CODES (and the
    guide); each module imports the name from gateway/errors.py instead."""
    stray = []
    for path in sorted((_ROOT / "gateway").rglob("*.py")):
        if path.name == "errors.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        exported = {
            element.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
            for element in ast.walk(node.value)
            if isinstance(element, ast.Constant)
        }
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
                continue
            value = node.value
            if value in CODES or (
                _CODE_LIKE.match(value) and value not in exported and value not in _NOT_CODES
            ):
                stray.append(f"{path.relative_to(_ROOT)}:{node.lineno}: {value!r}")
    assert stray == []
