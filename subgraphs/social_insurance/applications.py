"""Applying for a benefit: which applications are well formed, and the write that files one."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, timedelta

from subgraphs.common.errors import BadUserInput
from subgraphs.common.personal_id import birth_date_of
from subgraphs.social_insurance import store

# Benefits are paid at most this far back, and applied for at most this far ahead.
MAX_BACKDATE = timedelta(days=183)
MAX_AHEAD = timedelta(days=183)

# The person a benefit is for or because of: the child, or the late spouse or parent.
KINDS_ABOUT_SOMEONE = frozenset({"CHILD_BENEFIT", "PARENTAL_ALLOWANCE", "SURVIVORS_PENSION"})


@dataclass(frozen=True)
class Application:
    kind: str
    concerns: str | None
    starts_on: date


def check_application(
    applicant: str, kind: str, concerns: str | None, starts_on: date | None, today: date
) -> Application:
    """The application if it is well formed; otherwise `BadUserInput` naming the field."""
    start = starts_on if starts_on is not None else today
    if start < today - MAX_BACKDATE:
        raise BadUserInput(
            f"startsOn {start} is more than {MAX_BACKDATE.days} days ago; "
            "benefits are not paid further back",
            field="startsOn",
        )
    if start > today + MAX_AHEAD:
        raise BadUserInput(
            f"startsOn {start} is more than {MAX_AHEAD.days} days ahead", field="startsOn"
        )
    if kind in KINDS_ABOUT_SOMEONE:
        if concerns is None:
            raise BadUserInput(
                f"{kind} needs `concerns`: the personal ID of the person it is for",
                field="concerns",
            )
        born = birth_date_of(concerns)
        if born is None:
            raise BadUserInput(
                f"concerns {concerns!r} is not a personal ID (YYYYMMDD-NNNN)", field="concerns"
            )
        if concerns == applicant:
            raise BadUserInput(f"a {kind} application cannot concern the applicant")
        if born > today:
            raise BadUserInput(f"concerns {concerns} is born in the future", field="concerns")
    elif concerns is not None:
        raise BadUserInput(f"{kind} is the applicant's own; leave `concerns` out")
    return Application(kind=kind, concerns=concerns, starts_on=start)


def file_application(
    connection: sqlite3.Connection, applicant: str, application: Application, today: date
) -> sqlite3.Row:
    """Write the application inside the caller's transaction, refusing a duplicate."""
    existing = store.open_benefit(
        connection, applicant, application.kind, application.concerns, today
    )
    if existing is not None:
        state = "is being handled" if existing["status"] == "APPLIED" else "is already granted"
        raise BadUserInput(f"{application.kind} (application {existing['id']}) {state}")
    return store.insert_application(
        connection,
        applicant,
        application.kind,
        application.concerns,
        today,
        application.starts_on,
    )
