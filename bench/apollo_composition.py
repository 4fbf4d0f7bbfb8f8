"""Our composer against @apollo/composition: theirs (npm-installed into a cache) and a normal form
of supergraph SDL in which two composers' outputs compare equal when only ordering differs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from graphql import (
    DirectiveDefinitionNode,
    DirectiveNode,
    EnumTypeDefinitionNode,
    InputObjectTypeDefinitionNode,
    SchemaDefinitionNode,
    TypeDefinitionNode,
    UnionTypeDefinitionNode,
    parse,
    print_ast,
)

APOLLO_VERSION = "2.14.4"
GRAPHQL_JS_VERSION = "16.15.0"
_SCRIPT = Path(__file__).parent / "apollo_compose.js"


class NamedSDL(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def sdl(self) -> str: ...


# {"supergraph": sdl} or {"errors": [{"code": ..., "message": ...}]}
ApolloCompose = Callable[[Sequence[NamedSDL]], dict[str, Any]]


def default_cache_dir() -> Path:
    default = Path.home() / ".cache" / "citizen-account"
    return Path(os.environ.get("CITIZEN_NPM_CACHE", default))


def apollo_composer(cache_dir: Path | None = None) -> ApolloCompose | str:
    """A function composing with @apollo/composition, or why it cannot be had."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        return "node and npm are needed to compose with @apollo/composition"
    install_dir = (cache_dir or default_cache_dir()) / f"apollo-composition-{APOLLO_VERSION}"
    if not (install_dir / "node_modules" / "@apollo" / "composition").is_dir():
        install_dir.mkdir(parents=True, exist_ok=True)
        try:
            subprocess.run(
                [
                    npm,
                    "install",
                    "--prefix",
                    str(install_dir),
                    "--no-audit",
                    "--no-fund",
                    "--loglevel=error",
                    f"@apollo/composition@{APOLLO_VERSION}",
                    f"graphql@{GRAPHQL_JS_VERSION}",
                ],
                check=True,
                capture_output=True,
                timeout=300,
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
            return f"npm could not install @apollo/composition: {error}"
    env = dict(os.environ, NODE_PATH=str(install_dir / "node_modules"))

    def run(subgraphs: Sequence[NamedSDL]) -> dict[str, Any]:
        payload = json.dumps([{"name": s.name, "url": s.url, "sdl": s.sdl} for s in subgraphs])
        completed = subprocess.run(
            [node, str(_SCRIPT)],
            input=payload,
            capture_output=True,
            text=True,
            check=True,
            env=env,
            timeout=120,
        )
        result: dict[str, Any] = json.loads(completed.stdout)
        return result

    return run


def _directives(nodes: Any) -> list[str]:
    return sorted(_directive(d) for d in nodes or ())


def _directive(node: DirectiveNode) -> str:
    args = sorted(f"{a.name.value}: {print_ast(a.value)}" for a in node.arguments or ())
    return f"@{node.name.value}({', '.join(args)})"


def _description(node: Any) -> str:
    return f"  # {node.description.value!r}" if getattr(node, "description", None) else ""


def normalise(sdl: str) -> list[str]:
    """One line per element of a supergraph, order-independent, for comparing two composers."""
    lines = []
    for node in parse(sdl).definitions:
        if isinstance(node, SchemaDefinitionNode):
            ops = sorted(f"{o.operation.value}: {o.type.name.value}" for o in node.operation_types)
            lines.append(f"schema {ops} {_directives(node.directives)}")
        elif isinstance(node, DirectiveDefinitionNode):
            args = sorted(print_ast(a) for a in node.arguments or ())
            locations = sorted(location.value for location in node.locations)
            repeatable = " repeatable" if node.repeatable else ""
            lines.append(f"directive @{node.name.value}{args}{repeatable} on {locations}")
        elif isinstance(node, TypeDefinitionNode):
            name = node.name.value
            interfaces = sorted(i.name.value for i in getattr(node, "interfaces", None) or ())
            lines.append(
                f"{node.kind} {name} {interfaces} {_directives(node.directives)}"
                + _description(node)
            )
            if isinstance(node, UnionTypeDefinitionNode):
                lines.append(f"{name} = {sorted(t.name.value for t in node.types)}")
            if isinstance(node, EnumTypeDefinitionNode):
                for value in node.values or ():
                    lines.append(
                        f"{name}.{value.name.value} {_directives(value.directives)}"
                        + _description(value)
                    )
            for field in getattr(node, "fields", None) or ():
                args = sorted(
                    f"{a.name.value}: {print_ast(a.type)}"
                    + (f" = {print_ast(a.default_value)}" if a.default_value else "")
                    + f" {_directives(a.directives)}{_description(a)}"
                    for a in getattr(field, "arguments", None) or ()
                )
                default = getattr(field, "default_value", None)
                lines.append(
                    f"{name}.{field.name.value}{args}: {print_ast(field.type)}"
                    + (f" = {print_ast(default)}" if default else "")
                    + f" {_directives(field.directives)}"
                    + _description(field)
                )
            if isinstance(node, InputObjectTypeDefinitionNode) and not node.fields:
                lines.append(f"{name} has no fields")
    return sorted(lines)
