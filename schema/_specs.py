"""The linked specs: federation directives a subgraph may use, and what a supergraph declares.

A subgraph imports federation directives with `@link(url: ".../federation/v2.x", import: [...])`;
the supergraph names the join spec version and every kept directive's spec in its own `@link`s.
The definitions below are the specs' published definitions (specs.apollo.dev).
"""

from __future__ import annotations

from dataclasses import dataclass

FEDERATION_URL_PREFIX = "https://specs.apollo.dev/federation/v"
LINK_URL = "https://specs.apollo.dev/link/v1.0"

# Federation directive name -> definition with `@NAME` standing for the subgraph's local name
# and `PREFIX__` for the federation namespace of its scalars; used to validate a subgraph.
FEDERATION_DIRECTIVES: dict[str, str] = {
    "key": "directive @NAME(fields: PREFIX__FieldSet!, resolvable: Boolean = true)"
    " repeatable on OBJECT | INTERFACE",
    "requires": "directive @NAME(fields: PREFIX__FieldSet!) on FIELD_DEFINITION",
    "provides": "directive @NAME(fields: PREFIX__FieldSet!) on FIELD_DEFINITION",
    "external": "directive @NAME(reason: String) on OBJECT | FIELD_DEFINITION",
    "shareable": "directive @NAME repeatable on OBJECT | FIELD_DEFINITION",
    "override": "directive @NAME(from: String!, label: String) on FIELD_DEFINITION",
    "extends": "directive @NAME on OBJECT | INTERFACE",
    "interfaceObject": "directive @NAME on OBJECT",
    "composeDirective": "directive @NAME(name: String!) repeatable on SCHEMA",
    "inaccessible": "directive @NAME on FIELD_DEFINITION | OBJECT | INTERFACE | UNION"
    " | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION",
    "tag": "directive @NAME(name: String!) repeatable on FIELD_DEFINITION | OBJECT | INTERFACE"
    " | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT"
    " | INPUT_FIELD_DEFINITION | SCHEMA",
    "authenticated": "directive @NAME on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM",
    "requiresScopes": "directive @NAME(scopes: [[PREFIX__Scope!]!]!)"
    " on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM",
    "policy": "directive @NAME(policies: [[PREFIX__Policy!]!]!)"
    " on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM",
    "cost": "directive @NAME(weight: Int!) on ARGUMENT_DEFINITION | ENUM | FIELD_DEFINITION"
    " | INPUT_FIELD_DEFINITION | OBJECT | SCALAR",
    "listSize": "directive @NAME(assumedSize: Int, slicingArguments: [String!],"
    " sizedFields: [String!], requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION",
    "context": "directive @NAME(name: String!) repeatable on INTERFACE | OBJECT | UNION",
    "fromContext": "directive @NAME(field: PREFIX__ContextFieldValue) on ARGUMENT_DEFINITION",
}

# The directives of Federation 1, which a subgraph without a federation @link may use.
FEDERATION_1_DIRECTIVES = ("key", "requires", "provides", "external", "tag", "extends")

# The federation version that introduced each directive.
FEDERATION_DIRECTIVE_SINCE: dict[str, tuple[int, int]] = {
    "composeDirective": (2, 1),
    "interfaceObject": (2, 3),
    "authenticated": (2, 5),
    "requiresScopes": (2, 5),
    "policy": (2, 6),
    "context": (2, 8),
    "fromContext": (2, 8),
    "cost": (2, 9),
    "listSize": (2, 9),
}

FEDERATION_SCALARS = ("FieldSet", "Scope", "Policy", "ContextFieldValue")

# Definitions a subgraph server may print in its SDL that belong to federation, not to the graph.
SUBGRAPH_INTERNAL_TYPES = frozenset(
    {"_Any", "_Entity", "_Service", "_FieldSet", "FieldSet", "link__Import", "link__Purpose"}
)
SUBGRAPH_INTERNAL_QUERY_FIELDS = frozenset({"_entities", "_service"})


def join_version(federation_version: tuple[int, int]) -> str:
    """The join spec version Apollo's composition emits for the highest subgraph version."""
    if federation_version >= (2, 8):
        return "0.5"
    if federation_version >= (2, 7):
        return "0.4"
    return "0.3"


def join_definitions(version: str) -> list[str]:
    """The join spec's directive, scalar and input definitions at `version`, sorted by name."""
    field_args = (
        "graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet, type: String,"
        " external: Boolean, override: String, usedOverridden: Boolean"
    )
    if version >= "0.4":
        field_args += ", overrideLabel: String"
    if version >= "0.5":
        field_args += ", contextArguments: [join__ContextArgument!]"
    definitions = [
        "directive @join__enumValue(graph: join__Graph!) repeatable on ENUM_VALUE",
        f"directive @join__field({field_args})"
        " repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION",
        "directive @join__graph(name: String!, url: String!) on ENUM_VALUE",
        "directive @join__implements(graph: join__Graph!, interface: String!)"
        " repeatable on OBJECT | INTERFACE",
        "directive @join__type(graph: join__Graph!, key: join__FieldSet,"
        " extension: Boolean! = false, resolvable: Boolean! = true,"
        " isInterfaceObject: Boolean! = false)"
        " repeatable on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR",
        "directive @join__unionMember(graph: join__Graph!, member: String!) repeatable on UNION",
        "scalar join__FieldSet",
    ]
    if version >= "0.4":
        definitions.append(
            "directive @join__directive(graphs: [join__Graph!], name: String!,"
            " args: join__DirectiveArguments) repeatable on SCHEMA | OBJECT | INTERFACE"
            " | FIELD_DEFINITION"
        )
        definitions.append("scalar join__DirectiveArguments")
    if version >= "0.5":
        definitions.append(
            "input join__ContextArgument {\n  name: String!\n  type: String!\n"
            "  context: String!\n  selection: join__FieldValue!\n}"
        )
        definitions.append("scalar join__FieldValue")
    return definitions


LINK_DEFINITIONS = [
    "directive @link(url: String, as: String, for: link__Purpose, import: [link__Import])"
    " repeatable on SCHEMA",
    "scalar link__Import",
    'enum link__Purpose {\n  """\n  `SECURITY` features provide metadata necessary to securely'
    ' resolve fields.\n  """\n  SECURITY\n\n  """\n  `EXECUTION` features provide metadata'
    ' necessary for operation execution.\n  """\n  EXECUTION\n}',
]


@dataclass(frozen=True)
class KeptSpec:
    """A spec whose directives are copied from subgraphs into the supergraph."""

    url: str
    purpose: str | None
    directives: dict[str, str]  # canonical name -> supergraph definition
    scalars: tuple[str, ...] = ()


_SECURITY_LOCATIONS = "FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM"

KEPT_SPECS: dict[str, KeptSpec] = {
    "tag": KeptSpec(
        "https://specs.apollo.dev/tag/v0.3",
        None,
        {"tag": FEDERATION_DIRECTIVES["tag"].replace("@NAME", "@tag")},
    ),
    "inaccessible": KeptSpec(
        "https://specs.apollo.dev/inaccessible/v0.2",
        "SECURITY",
        {"inaccessible": FEDERATION_DIRECTIVES["inaccessible"].replace("@NAME", "@inaccessible")},
    ),
    "authenticated": KeptSpec(
        "https://specs.apollo.dev/authenticated/v0.1",
        "SECURITY",
        {"authenticated": f"directive @authenticated on {_SECURITY_LOCATIONS}"},
    ),
    "requiresScopes": KeptSpec(
        "https://specs.apollo.dev/requiresScopes/v0.1",
        "SECURITY",
        {
            "requiresScopes": "directive @requiresScopes(scopes: [[requiresScopes__Scope!]!]!)"
            f" on {_SECURITY_LOCATIONS}"
        },
        ("requiresScopes__Scope",),
    ),
    "policy": KeptSpec(
        "https://specs.apollo.dev/policy/v0.1",
        "SECURITY",
        {"policy": f"directive @policy(policies: [[policy__Policy!]!]!) on {_SECURITY_LOCATIONS}"},
        ("policy__Policy",),
    ),
    "cost": KeptSpec(
        "https://specs.apollo.dev/cost/v0.1",
        None,
        {
            "cost": FEDERATION_DIRECTIVES["cost"].replace("@NAME", "@cost"),
            "listSize": FEDERATION_DIRECTIVES["listSize"].replace("@NAME", "@listSize"),
        },
    ),
}

# The access-control directives: composition copies them from implementations to interfaces.
ACCESS_CONTROL = frozenset({"authenticated", "requiresScopes", "policy"})

# Kept directive -> the spec that defines it, in the order Apollo prints the spec links.
KEPT_DIRECTIVE_SPEC: dict[str, str] = {
    name: spec for spec, kept in KEPT_SPECS.items() for name in kept.directives
}
