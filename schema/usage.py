"""Which schema elements an operation uses, in the terms `Change.used_by` speaks.

    Type.field          every field selected, on the type it is selected on
    Type.field(arg:)    every argument passed
    Type                the root type, fragment and inline fragment conditions, each field's
                        return type, the input types of arguments and variables (with every
                        input type nested in them: a variable's value is not in the document)
    @directive          every directive used

The operation is read against the schema it was written for (the current one), so an element
the proposed schema drops is still recognised.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    ArgumentNode,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLInputObjectType,
    GraphQLNamedType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    get_named_type,
    type_from_ast,
    visit,
)


def used_elements(schema: GraphQLSchema, document: DocumentNode) -> frozenset[str]:
    collector = _Collector(schema)
    visit(document, TypeInfoVisitor(collector.type_info, collector))
    return frozenset(collector.used)


class _Collector(Visitor):
    def __init__(self, schema: GraphQLSchema) -> None:
        super().__init__()
        self.schema = schema
        self.type_info = TypeInfo(schema)
        self.used: set[str] = set()
        self.fields: list[str | None] = []  # the coordinates of the fields being visited

    def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
        root = self.schema.get_root_type(node.operation)
        if root is not None:
            self.used.add(root.name)
        for definition in node.variable_definitions or ():
            variable_type = type_from_ast(self.schema, definition.type)
            if variable_type is not None:
                self._input(get_named_type(variable_type))

    def enter_fragment_definition(self, node: FragmentDefinitionNode, *_: Any) -> None:
        self.used.add(node.type_condition.name.value)

    def enter_inline_fragment(self, node: InlineFragmentNode, *_: Any) -> None:
        if node.type_condition is not None:
            self.used.add(node.type_condition.name.value)

    def enter_field(self, node: FieldNode, *_: Any) -> None:
        parent = self.type_info.get_parent_type()
        field = self.type_info.get_field_def()
        if parent is None or field is None:
            self.fields.append(None)
            return
        coordinate = f"{parent.name}.{node.name.value}"
        self.fields.append(coordinate)
        self.used.add(coordinate)
        self.used.add(get_named_type(field.type).name)

    def leave_field(self, *_: Any) -> None:
        self.fields.pop()

    def enter_argument(self, node: ArgumentNode, *_: Any) -> None:
        field = self.fields[-1] if self.fields else None
        if field is not None and self.type_info.get_directive() is None:
            self.used.add(f"{field}({node.name.value}:)")
        argument = self.type_info.get_argument()
        if argument is not None:
            self._input(get_named_type(argument.type))

    def enter_directive(self, node: DirectiveNode, *_: Any) -> None:
        self.used.add(f"@{node.name.value}")

    def _input(self, named: GraphQLNamedType) -> None:
        if named.name in self.used:
            return
        self.used.add(named.name)
        if isinstance(named, GraphQLInputObjectType):
            for field in named.fields.values():
                self._input(get_named_type(field.type))
