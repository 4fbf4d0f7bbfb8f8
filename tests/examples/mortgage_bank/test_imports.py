"""The bank is written as a third party would write it: against the published API, with none
of the platform's own code."""

from __future__ import annotations

import ast
from pathlib import Path

BANK = Path(__file__).resolve().parents[3] / "examples" / "mortgage_bank"
PLATFORM_PACKAGES = {"auth", "gateway", "launcher", "subgraphs", "schema", "bench"}


def imported_packages(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_the_bank_imports_nothing_of_the_platform() -> None:
    modules = sorted(BANK.glob("*.py"))
    assert len(modules) >= 5
    for module in modules:
        assert not imported_packages(module) & PLATFORM_PACKAGES, module.name
        for node in ast.walk(ast.parse(module.read_text())):
            # A relative import could climb out of the package.
            if isinstance(node, ast.ImportFrom):
                assert node.level == 0, module.name
