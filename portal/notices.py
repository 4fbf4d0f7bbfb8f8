"""Notifications, derived: the schema has no notifications field, so the portal builds them from
what it has — steps that need the citizen's action and their due dates, mandates waiting for
their acceptance, consents ending within 30 days, and who read their data in the last 30 days."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from portal.graphql import Result

RECENT_DAYS = 30
EXPIRING_DAYS = 30


@dataclass(frozen=True)
class Notice:
    kind: str  # "action" | "mandate" | "consent" | "disclosure"
    details: dict[str, Any] = field(default_factory=dict)
    due: str | None = None  # an ISO date or instant, for ordering and display


def derive(result: Result, now: datetime) -> list[Notice]:
    me = result.me or {}
    found: list[Notice] = []
    for event in me.get("lifeEvents") or []:
        for step in event.get("journey") or []:
            if step.get("status") == "ACTION_NEEDED":
                found.append(
                    Notice(
                        "action",
                        {
                            "event": event.get("kind"),
                            "service": step.get("service"),
                            "agency": step.get("agency"),
                        },
                        step.get("dueBy"),
                    )
                )
    for mandate in me.get("mandates") or []:
        if mandate.get("status") == "PENDING" and mandate.get("delegateId") == me.get("personalId"):
            found.append(
                Notice("mandate", {"id": mandate["id"], "principal": mandate.get("principalId")})
            )
    soon = now + timedelta(days=EXPIRING_DAYS)
    for consent in me.get("consents") or []:
        ends = _instant(consent.get("expiresAt"))
        if consent.get("status") == "ACTIVE" and ends is not None and ends <= soon:
            platform = (consent.get("platform") or {}).get("name")
            found.append(Notice("consent", {"platform": platform}, consent.get("expiresAt")))
    log = me.get("dataAccessLog") or {}
    readers: dict[str, list[dict[str, Any]]] = {}
    for edge in log.get("edges") or []:
        node = edge.get("node") or {}
        who = (node.get("platform") or {}).get("name") or "?"
        readers.setdefault(who, []).append(node)
    for who, nodes in readers.items():
        latest = max(str(n.get("occurredAt", "")) for n in nodes)
        found.append(Notice("disclosure", {"platform": who, "count": len(nodes)}, latest))
    order = {"action": 0, "mandate": 1, "consent": 2, "disclosure": 3}
    return sorted(found, key=lambda n: (order[n.kind], n.due or "9999"))


def _instant(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else None
