"""Print the supergraph model as SDL in the layout Apollo's composition uses.

The schema definition with its @link list comes first, then directive definitions, then every
type, each group sorted by name ignoring case; a type's join__ directives go one per line.
"""

from __future__ import annotations

from collections.abc import Iterable

from graphql import StringValueNode, print_ast
from graphql.language.block_string import print_block_string

from schema._model import Applied
from schema._specs import (
    KEPT_DIRECTIVE_SPEC,
    KEPT_SPECS,
    LINK_DEFINITIONS,
    LINK_URL,
    join_definitions,
)
from schema._supergraph import (
    JoinField,
    JoinType,
    SuperArgument,
    SuperField,
    Supergraph,
    SuperType,
)

_KEYWORD = {
    "OBJECT": "type",
    "INTERFACE": "interface",
    "UNION": "union",
    "ENUM": "enum",
    "INPUT_OBJECT": "input",
    "SCALAR": "scalar",
}


def print_supergraph(supergraph: Supergraph) -> str:
    used = _used_kept_directives(supergraph)
    blocks: list[tuple[str, str]] = []  # (name to sort by, text)
    for definition in join_definitions(supergraph.join_version) + LINK_DEFINITIONS:
        blocks.append((_defined_name(definition), definition))
    for spec_name, spec in KEPT_SPECS.items():
        if any(KEPT_DIRECTIVE_SPEC[name] == spec_name for name in used):
            for name, definition in spec.directives.items():
                if name in used:
                    blocks.append((name, definition))
            blocks.extend((scalar, f"scalar {scalar}") for scalar in spec.scalars)
    blocks.extend((_defined_name(d), d) for d in supergraph.executable_directives)
    blocks.append(("join__Graph", _graph_enum(supergraph)))
    blocks.extend((t.name, _type(t)) for t in supergraph.types.values())
    directives = sorted((b for b in blocks if b[1].startswith("directive")), key=_sort_key)
    types = sorted((b for b in blocks if not b[1].startswith("directive")), key=_sort_key)
    parts = [_schema(supergraph, used)] + [text for _, text in directives + types]
    return "\n\n".join(parts) + "\n"


def _sort_key(block: tuple[str, str]) -> tuple[str, str]:
    return block[0].lower(), block[0]


def _defined_name(definition: str) -> str:
    words = definition.split()
    name = words[1].lstrip("@")
    return name.split("(")[0]


def _used_kept_directives(supergraph: Supergraph) -> set[str]:
    used: set[str] = set()

    def collect(applied: Iterable[Applied]) -> None:
        used.update(a.name for a in applied if a.name in KEPT_DIRECTIVE_SPEC)

    for t in supergraph.types.values():
        collect(t.directives)
        for f in t.fields.values():
            collect(f.directives)
            for a in f.args:
                collect(a.directives)
        for v in t.values.values():
            collect(v.directives)
    return used


def _schema(supergraph: Supergraph, used: set[str]) -> str:
    links = [
        f'@link(url: "{LINK_URL}")',
        f'@link(url: "https://specs.apollo.dev/join/v{supergraph.join_version}", for: EXECUTION)',
    ]
    for spec_name, spec in KEPT_SPECS.items():
        names = [n for n in spec.directives if n in used]
        if not names:
            continue
        arguments = [f'url: "{spec.url}"']
        if spec.purpose:
            arguments.append(f"for: {spec.purpose}")
        imports = [f'"@{n}"' for n in names if n != spec_name]
        if imports:
            arguments.append(f"import: [{', '.join(imports)}]")
        links.append(f"@link({', '.join(arguments)})")
    roots = [f"  {operation}: {name}" for operation, name in supergraph.roots.items()]
    return "schema\n" + "".join(f"  {link}\n" for link in links) + "{\n" + "\n".join(roots) + "\n}"


def _string(value: str) -> str:
    return print_ast(StringValueNode(value=value))


def _description(text: str | None, indent: str) -> str:
    if text is None:
        return ""
    block = print_block_string(text)
    return "".join(f"{indent}{line}\n" if line else "\n" for line in block.split("\n"))


def _applied(applied: Applied) -> str:
    if not applied.args:
        return f"@{applied.name}"
    args = ", ".join(f"{name}: {print_ast(value)}" for name, value in applied.args)
    return f"@{applied.name}({args})"


def _join_type(join: JoinType) -> str:
    args = [f"graph: {join.graph}"]
    if join.key is not None:
        args.append(f"key: {_string(join.key)}")
    if join.extension:
        args.append("extension: true")
    if join.resolvable_arg is not None:
        args.append(f"resolvable: {'true' if join.resolvable_arg else 'false'}")
    if join.is_interface_object:
        args.append("isInterfaceObject: true")
    return f"@join__type({', '.join(args)})"


def _join_field(join: JoinField) -> str:
    args = []
    if join.graph is not None:
        args.append(f"graph: {join.graph}")
    if join.requires is not None:
        args.append(f"requires: {_string(join.requires)}")
    if join.provides is not None:
        args.append(f"provides: {_string(join.provides)}")
    if join.type is not None:
        args.append(f"type: {_string(join.type)}")
    if join.external:
        args.append("external: true")
    if join.override is not None:
        args.append(f"override: {_string(join.override)}")
    if join.used_overridden:
        args.append("usedOverridden: true")
    if join.override_label is not None:
        args.append(f"overrideLabel: {_string(join.override_label)}")
    return f"@join__field({', '.join(args)})" if args else "@join__field"


def _graph_enum(supergraph: Supergraph) -> str:
    values = [
        f"  {g.enum_value} @join__graph(name: {_string(g.name)}, url: {_string(g.url)})"
        for g in supergraph.graphs
    ]
    return "enum join__Graph {\n" + "\n".join(values) + "\n}"


def _argument(argument: SuperArgument, indent: str = "") -> str:
    text = f"{indent}{argument.name}: {print_ast(argument.type)}"
    if argument.default is not None:
        text += f" = {print_ast(argument.default)}"
    return " ".join([text, *(_applied(a) for a in argument.directives)])


def _field(field: SuperField) -> str:
    text = _description(field.description, "  ") + "  " + field.name
    if field.args:
        if any(a.description for a in field.args):
            lines = [_description(a.description, "    ") + _argument(a, "    ") for a in field.args]
            text += "(\n" + "\n".join(lines) + "\n  )"
        else:
            text += "(" + ", ".join(_argument(a) for a in field.args) + ")"
    text += f": {print_ast(field.type)}"
    if field.default is not None:
        text += f" = {print_ast(field.default)}"
    suffix = [_join_field(j) for j in field.join_fields] + [_applied(a) for a in field.directives]
    return " ".join([text, *suffix])


def _type(t: SuperType) -> str:
    head = _description(t.description, "") + f"{_KEYWORD[t.kind]} {t.name}"
    if t.interfaces:
        head += " implements " + " & ".join(t.interfaces)
    directives = [
        f"@join__implements(graph: {g}, interface: {_string(i)})" for g, i in t.implements
    ]
    directives += [_join_type(j) for j in t.join_types]
    directives += [
        f"@join__unionMember(graph: {g}, member: {_string(m)})" for g, m in t.union_members
    ]
    directives += [_applied(a) for a in t.directives]
    text = head + "".join(f"\n  {d}" for d in directives)
    if t.kind in ("OBJECT", "INTERFACE", "INPUT_OBJECT"):
        text += "\n{\n" + "\n".join(_field(f) for f in t.fields.values()) + "\n}"
    elif t.kind == "ENUM":
        values = []
        for v in t.values.values():
            parts = [f"  {v.name}"]
            parts += [f"@join__enumValue(graph: {g})" for g in v.graphs]
            parts += [_applied(a) for a in v.directives]
            values.append(_description(v.description, "  ") + " ".join(parts))
        text += "\n{\n" + "\n".join(values) + "\n}"
    elif t.kind == "UNION":
        text += "\n = " + " | ".join(t.members)
    return text
