"""Who is asking: the one place that turns a request into the personal ID it acts for.

Until sign-in exists the person comes from a development-only source, in this order:
the `x-citizen-dev-identity` request header, then the `CITIZEN_DEV_PERSONAL_ID` setting.
Both are refused unless `CITIZEN_ENV=development`. When the gateway's signed internal
identity token arrives, this module is the only one that changes.
"""

from __future__ import annotations

from starlette.requests import HTTPConnection

from subgraphs.common.errors import Forbidden, Unauthenticated
from subgraphs.common.settings import ENV_PREFIX, AgencySettings

DEV_IDENTITY_HEADER = "x-citizen-dev-identity"


def current_personal_id(request: HTTPConnection | None, settings: AgencySettings) -> str | None:
    """The person the request acts for, or None when nobody is signed in."""
    header = request.headers.get(DEV_IDENTITY_HEADER) if request is not None else None
    if header is not None:
        if settings.env != "development":
            raise Forbidden(
                f"the {DEV_IDENTITY_HEADER} header is refused unless {ENV_PREFIX}ENV=development"
            )
        return header.strip() or None
    return settings.dev_personal_id


def require_personal_id(request: HTTPConnection | None, settings: AgencySettings) -> str:
    personal_id = current_personal_id(request, settings)
    if personal_id is None:
        raise Unauthenticated("no citizen is signed in")
    return personal_id
