"""What every answer of the gateway must satisfy, whatever it was sent.

- No 5xx, except a deliberate 503: a dependency the gateway must not answer without, or load
  shed on purpose, each with its own code (DELIBERATE_503_CODES).
- The body is JSON in the GraphQL response shape: an object with `data` and/or `errors`;
  `errors` a non-empty list of objects, each with a string `message`, optional `locations`
  ({line, column} objects), optional `path` (strings and integers), optional `extensions`
  (an object whose `code`, when an error that is not at a path has it, is a string).
- A request refused as a whole (4xx, 503) carries errors, each with a code.
"""

from __future__ import annotations

from typing import Any

import orjson

# The 503s the gateway answers on purpose (docs/security.md, docs/gateway.md).
DELIBERATE_503_CODES = frozenset(
    {"SERVICE_OVERLOADED", "AUTHENTICATION_UNAVAILABLE", "DISCLOSURE_LOG_UNAVAILABLE"}
)


def violations(status: int, body: bytes) -> list[str]:
    """What is wrong with one answer; empty when nothing is."""
    if status >= 500 and status != 503:
        return [f"HTTP {status}: {body[:200]!r}"]
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        return [f"HTTP {status} body is not JSON: {body[:200]!r}"]
    problems = shape_violations(payload)
    if problems:
        return [f"HTTP {status}: {problem}" for problem in problems]
    if status != 200:
        errors = payload.get("errors")
        if not errors:
            return [f"HTTP {status} without errors: {body[:200]!r}"]
        codes = [error.get("extensions", {}).get("code") for error in errors]
        if not all(isinstance(code, str) for code in codes):
            return [f"HTTP {status} with an error that has no code: {body[:200]!r}"]
        if status == 503 and not set(codes) <= DELIBERATE_503_CODES:
            return [f"HTTP 503 with codes {codes}, not among {sorted(DELIBERATE_503_CODES)}"]
    return []


def shape_violations(payload: Any) -> list[str]:
    """Where `payload` departs from the GraphQL response shape."""
    if not isinstance(payload, dict):
        return [f"the body is not an object: {str(payload)[:200]}"]
    if "data" not in payload and "errors" not in payload:
        return [f"neither data nor errors: {str(payload)[:200]}"]
    if "data" in payload and not isinstance(payload["data"], dict | None):
        return [f"data is neither an object nor null: {str(payload['data'])[:200]}"]
    if "errors" not in payload:
        return []
    errors = payload["errors"]
    if not isinstance(errors, list) or not errors:
        return [f"errors is not a non-empty list: {str(errors)[:200]}"]
    return [problem for error in errors for problem in _error_violations(error)]


def _error_violations(error: Any) -> list[str]:
    shown = str(error)[:200]
    if not isinstance(error, dict):
        return [f"an error is not an object: {shown}"]
    problems = []
    if not isinstance(error.get("message"), str):
        problems.append(f"an error without a string message: {shown}")
    locations = error.get("locations", [])
    if not isinstance(locations, list) or not all(
        isinstance(location, dict)
        and set(location) == {"line", "column"}
        and all(type(n) is int for n in location.values())
        for location in locations
    ):
        problems.append(f"an error's locations are not [{{line, column}}]: {shown}")
    path = error.get("path", [])
    if not isinstance(path, list) or not all(type(step) in (str, int) for step in path):
        problems.append(f"an error's path is not strings and integers: {shown}")
    extensions = error.get("extensions", {})
    if not isinstance(extensions, dict):
        problems.append(f"an error's extensions are not an object: {shown}")
    elif "code" in extensions and not isinstance(extensions["code"], str):
        problems.append(f"an error's code is not a string: {shown}")
    return problems


def request_errors(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """Errors about the request as a whole (no path): a valid operation must have none."""
    return [error for error in payload.get("errors", ()) if "path" not in error]


__all__ = ["DELIBERATE_503_CODES", "request_errors", "shape_violations", "violations"]
