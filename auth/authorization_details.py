"""RFC 9396 `authorization_details` of type `citizen_data`, and the data category vocabulary.

    {"type": "citizen_data",
     "datatypes": ["identity", "income"],     # RFC 9396 common field: the data categories
     "actions": ["read"],
     "purpose": "Mortgage application",       # optional: defaults to the client's purpose
     "expires_at": "2026-12-31T00:00:00Z",    # optional: when the consent must end
     "recurrence": "one_time" | "recurring"}  # optional: default "recurring"

A `<category>:read` scope in `scope` asks for the same as a detail with the client's purpose.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from authlib.oauth2.rfc6749 import OAuth2Error

TYPE = "citizen_data"
CATEGORIES = (
    "identity",
    "address",
    "family",
    "income",
    "tax",
    "benefits",
    "vehicles",
    "business",
)
ACTIONS = ("read",)
Recurrence = Literal["one_time", "recurring"]

# Plain-language names used on the consent page and in the subgraph.
CATEGORY_DESCRIPTIONS = {
    "identity": "Your name, personal identity code and date of birth",
    "address": "Where you live, now and before",
    "family": "Your spouse, children and parents",
    "income": "What you earned, as reported to the tax agency",
    "tax": "Your tax decisions and what you owe or get back",
    "benefits": "Benefits you receive or have applied for",
    "vehicles": "Your driving licence and the vehicles you own",
    "business": "Companies you own or have a role in",
}


class InvalidAuthorizationDetailsError(OAuth2Error):  # type: ignore[misc]
    """RFC 9396 §5: the request's authorization_details are malformed or not allowed."""

    error = "invalid_authorization_details"


@dataclass(frozen=True)
class CitizenDataDetail:
    categories: tuple[str, ...]
    actions: tuple[str, ...]
    purpose: str
    expires_at: int | None
    recurrence: Recurrence

    def scopes(self) -> list[str]:
        return [f"{c}:{a}" for c in self.categories for a in self.actions]

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "type": TYPE,
            "datatypes": list(self.categories),
            "actions": list(self.actions),
            "purpose": self.purpose,
            "recurrence": self.recurrence,
        }
        if self.expires_at is not None:
            data["expires_at"] = datetime.fromtimestamp(self.expires_at).astimezone().isoformat()
        return data


def category_scopes(scope: str | None) -> list[str]:
    """The categories named by `<category>:read` scopes."""
    found = []
    for item in (scope or "").split():
        category, _, action = item.partition(":")
        if action == "read" and category in CATEGORIES:
            found.append(category)
    return found


def parse(
    raw: str | None,
    scope: str | None,
    client_purpose: str,
    allowed_categories: tuple[str, ...] | list[str],
    now: float | None = None,
) -> list[CitizenDataDetail]:
    """Validate a request's details against the vocabulary and what the client declared."""
    now = time.time() if now is None else now
    details: list[CitizenDataDetail] = []
    if raw:
        try:
            items = json.loads(raw)
        except ValueError:
            raise InvalidAuthorizationDetailsError("authorization_details is not JSON") from None
        if not isinstance(items, list) or not items:
            raise InvalidAuthorizationDetailsError("authorization_details must be a JSON array")
        details.extend(_parse_one(item, client_purpose, now) for item in items)
    from_scope = category_scopes(scope)
    if from_scope:
        details.append(
            CitizenDataDetail(
                tuple(dict.fromkeys(from_scope)), ("read",), client_purpose, None, "recurring"
            )
        )
    for detail in details:
        refused = [c for c in detail.categories if c not in allowed_categories]
        if refused:
            raise InvalidAuthorizationDetailsError(
                f"the client did not declare the data categories {', '.join(refused)}"
            )
    return details


def _parse_one(item: Any, client_purpose: str, now: float) -> CitizenDataDetail:
    if not isinstance(item, dict):
        raise InvalidAuthorizationDetailsError("each authorization detail must be an object")
    if item.get("type") != TYPE:
        raise InvalidAuthorizationDetailsError(
            f"unsupported authorization detail type {item.get('type')!r}"
        )
    categories = item.get("datatypes")
    if not isinstance(categories, list) or not categories:
        raise InvalidAuthorizationDetailsError("'datatypes' must list at least one data category")
    unknown = [c for c in categories if c not in CATEGORIES]
    if unknown:
        raise InvalidAuthorizationDetailsError(f"unknown data categories: {unknown}")
    actions = item.get("actions", ["read"])
    if not isinstance(actions, list) or not actions or any(a not in ACTIONS for a in actions):
        raise InvalidAuthorizationDetailsError("'actions' may only contain 'read'")
    purpose = item.get("purpose", client_purpose)
    if not isinstance(purpose, str) or not purpose.strip() or len(purpose) > 500:
        raise InvalidAuthorizationDetailsError("'purpose' must be a short text")
    recurrence = item.get("recurrence", "recurring")
    if recurrence not in ("one_time", "recurring"):
        raise InvalidAuthorizationDetailsError("'recurrence' must be 'one_time' or 'recurring'")
    expires_at = None
    if "expires_at" in item:
        try:
            moment = datetime.fromisoformat(str(item["expires_at"]).replace("Z", "+00:00"))
        except ValueError:
            raise InvalidAuthorizationDetailsError(
                "'expires_at' must be an RFC 3339 time"
            ) from None
        if moment.tzinfo is None:
            raise InvalidAuthorizationDetailsError("'expires_at' must carry a time zone")
        expires_at = int(moment.timestamp())
        if expires_at <= now:
            raise InvalidAuthorizationDetailsError("'expires_at' is in the past")
    return CitizenDataDetail(
        tuple(dict.fromkeys(categories)),
        tuple(dict.fromkeys(actions)),
        purpose.strip(),
        expires_at,
        recurrence,
    )


def restrict(details: list[CitizenDataDetail], approved: set[str]) -> list[CitizenDataDetail]:
    """The details the citizen approved: each keeps only approved categories."""
    kept = []
    for detail in details:
        categories = tuple(c for c in detail.categories if c in approved)
        if categories:
            kept.append(replace(detail, categories=categories))
    return kept


def requested_categories(details: list[CitizenDataDetail]) -> list[str]:
    return list(dict.fromkeys(c for d in details for c in d.categories))
