"""Assertions for GraphQL responses: equality that also checks key order."""

from typing import Any


def _shape(value: Any) -> Any:
    """A comparable form where an object's key order matters."""
    if isinstance(value, dict):
        return ("{", [(k, _shape(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ["[", *(_shape(v) for v in value)]
    return value


def assert_data(body: Any, expected: Any) -> None:
    """The response is exactly {"data": expected}: no errors, keys in the client's order."""
    assert body == {"data": expected}
    assert _shape(body["data"]) == _shape(expected), "same values, different key order"


def assert_same_order(actual: Any, expected: Any) -> None:
    assert actual == expected
    assert _shape(actual) == _shape(expected), "same values, different key order"


def error_paths(body: Any) -> list[list[str | int] | None]:
    return sorted((e.get("path") for e in body.get("errors", [])), key=repr)
