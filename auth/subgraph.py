"""The consent subgraph: a citizen's consents, mandates and data access log in the one schema.

It contributes fields to the population register's `Citizen @key(fields: "personalId")` and
offers mutations to grant, accept and revoke. Like every subgraph it trusts only the gateway's
identity token (subgraphs/common/identity.py, audience `consent`), and every resolver acts for
the citizen only when that token is their own: no `act`, no `consent_id`. On that token the
data access log of a minor in the citizen's care is readable too (subgraphs/common/access.py).
"""

from __future__ import annotations

import base64
import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any

import strawberry
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp
from strawberry.asgi import GraphQL
from strawberry.types import Info

from auth import access_log as access_log_module
from auth import consents as consents_module
from auth import mandates as mandates_module
from auth.authority import ACCOUNT_SCOPE
from auth.authorization_details import CATEGORIES
from auth.context import AuthContext
from auth.mandates import MandateError, NotYourMandate
from subgraphs.common.access import Identity, acting_citizen, require_readable
from subgraphs.common.errors import BadUserInput, Forbidden
from subgraphs.common.identity import IdentityGuard, IdentityVerifier, identity_of
from subgraphs.common.policies import citizen_or_their_platform, citizens_own_token
from subgraphs.common.schema import list_size

# The subgraph's name in the supergraph: the audience of the identity tokens it accepts.
SUBGRAPH_NAME = "consent"


@strawberry.enum(description="A kind of personal data, as consents, scopes and mandates name it.")
class DataCategory(enum.Enum):
    IDENTITY = "identity"
    ADDRESS = "address"
    FAMILY = "family"
    INCOME = "income"
    TAX = "tax"
    BENEFITS = "benefits"
    VEHICLES = "vehicles"
    BUSINESS = "business"


assert {c.value for c in DataCategory} == set(CATEGORIES)


@strawberry.enum
class ConsentStatus(enum.Enum):
    ACTIVE = "ACTIVE"
    REVOKED = "REVOKED"
    EXPIRED = "EXPIRED"


@strawberry.enum
class MandateStatus(enum.Enum):
    PENDING = "PENDING"
    ACTIVE = "ACTIVE"
    EXPIRED = "EXPIRED"
    REVOKED = "REVOKED"


def _time(epoch: int | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC)


def _categories(values: tuple[str, ...]) -> list[Any]:
    return [DataCategory(v) for v in values]


@strawberry.type
class Platform:
    client_id: strawberry.ID
    name: str


@strawberry.type
class Consent:
    id: strawberry.ID
    platform: Platform
    purposes: list[str]
    categories: list[DataCategory]
    recurrence: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    status: ConsentStatus
    receipt: str = strawberry.field(description="The consent receipt: a JWT signed by the server.")


@strawberry.type
class Mandate:
    id: strawberry.ID
    principal_id: strawberry.ID
    delegate_id: strawberry.ID
    themes: list[DataCategory]
    valid_from: datetime
    valid_until: datetime
    accepted_at: datetime | None
    revoked_at: datetime | None
    status: MandateStatus


@strawberry.type(description="One response that disclosed the citizen's data to someone else.")
class AccessLogEntry:
    id: strawberry.ID
    client_id: str
    platform: Platform = strawberry.field(
        description="The client the data went to, named as the client registry names it now."
    )
    actor_id: strawberry.ID | None = strawberry.field(
        description="The person who acted through the client: a delegate or a guardian."
    )
    categories: list[str]
    fields: list[str]
    purpose: str
    consent_id: strawberry.ID | None
    mandate_id: strawberry.ID | None
    occurred_at: datetime
    trace_id: str | None
    hash: str


@strawberry.type
class AccessLogEdge:
    cursor: str
    node: AccessLogEntry


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class AccessLogConnection:
    edges: list[AccessLogEdge]
    page_info: PageInfo
    _count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="How many records the filters keep, on every page.")
    async def total_count(self) -> int:
        return await self._count()


@dataclass
class _Context:
    ctx: AuthContext
    identity: Identity
    request: Request
    response: Response | None


def _context(info: Info[Any, Any]) -> _Context:
    context: _Context = info.context
    return context


def _caller(info: Info[Any, Any]) -> str:
    """The citizen on their own token; anyone else (delegate, platform) is refused."""
    return acting_citizen(_context(info).identity)


def _manager(info: Info[Any, Any]) -> str:
    """The citizen managing their own account: their own token, from one of the citizen
    account's own apps (the only clients ever given the account-management scope)."""
    caller = _caller(info)
    if ACCOUNT_SCOPE not in _context(info).identity.scopes:
        raise Forbidden(
            f"Managing the account needs the citizen account's own sign-in ({ACCOUNT_SCOPE})."
        )
    return caller


def _require_self(info: Info[Any, Any], personal_id: str) -> AuthContext:
    if _caller(info) != personal_id:
        raise Forbidden("Only the citizen themselves can see or change this.")
    return _context(info).ctx


def _require_manager(info: Info[Any, Any], personal_id: str) -> AuthContext:
    if _manager(info) != personal_id:
        raise Forbidden("Only the citizen themselves can see or change this.")
    return _context(info).ctx


def _refusal(error: MandateError | consents_module.ConsentError) -> GraphQLError:
    """What the store refused, with a code saying whether it was the caller or the input."""
    if isinstance(error, NotYourMandate | consents_module.NotYourConsent):
        return Forbidden(str(error))
    return BadUserInput(str(error))


async def _platform(ctx: AuthContext, client_id: str) -> Platform:
    client = await ctx.clients.get(client_id)
    return Platform(
        client_id=strawberry.ID(client_id), name=client.client_name if client else client_id
    )


async def _consent(ctx: AuthContext, consent: consents_module.Consent) -> Consent:
    return Consent(
        id=strawberry.ID(consent.id),
        platform=await _platform(ctx, consent.client_id),
        purposes=list(consent.purposes),
        categories=_categories(consent.categories),
        recurrence=consent.recurrence,
        created_at=datetime.fromtimestamp(consent.created_at, UTC),
        expires_at=datetime.fromtimestamp(consent.expires_at, UTC),
        revoked_at=_time(consent.revoked_at),
        status=ConsentStatus(consent.status()),
        receipt=consent.receipt,
    )


def _mandate(mandate: mandates_module.Mandate) -> Mandate:
    return Mandate(
        id=strawberry.ID(mandate.id),
        principal_id=strawberry.ID(mandate.principal),
        delegate_id=strawberry.ID(mandate.delegate),
        themes=_categories(mandate.themes),
        valid_from=datetime.fromtimestamp(mandate.valid_from, UTC),
        valid_until=datetime.fromtimestamp(mandate.valid_until, UTC),
        accepted_at=_time(mandate.accepted_at),
        revoked_at=_time(mandate.revoked_at),
        status=MandateStatus(mandate.status()),
    )


def _require_readable_log(info: Info[Any, Any], personal_id: str) -> AuthContext:
    """The citizen's own log, or, on their own token, the log of a minor in their care."""
    identity = _context(info).identity
    acting_citizen(identity)
    require_readable(identity, personal_id, date.today())
    return _context(info).ctx


def _entry(entry: access_log_module.AccessLogEntry, platform: Platform) -> AccessLogEntry:
    return AccessLogEntry(
        id=strawberry.ID(entry.id),
        client_id=entry.client_id,
        platform=platform,
        actor_id=strawberry.ID(entry.actor) if entry.actor else None,
        categories=list(entry.categories),
        fields=list(entry.fields),
        purpose=entry.purpose,
        consent_id=strawberry.ID(entry.consent_id) if entry.consent_id else None,
        mandate_id=strawberry.ID(entry.mandate_id) if entry.mandate_id else None,
        occurred_at=datetime.fromtimestamp(entry.occurred_at, UTC),
        trace_id=entry.trace_id,
        hash=entry.hash,
    )


def _cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"log:{seq}".encode()).decode()


def _seq(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    try:
        kind, _, seq = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        assert kind == "log"
        return int(seq)
    except Exception:
        raise ValueError("Invalid cursor.") from None


@strawberry.federation.type(keys=["personalId"])
class Citizen:
    personal_id: strawberry.ID

    @classmethod
    def resolve_reference(cls, personalId: strawberry.ID) -> Citizen:
        return cls(personal_id=personalId)

    @strawberry.federation.field(
        policy=citizens_own_token(),
        requires_scopes=[[ACCOUNT_SCOPE]],
        directives=[list_size(20)],
    )
    async def consents(self, info: Info[Any, Any]) -> list[Consent]:
        ctx = _require_manager(info, str(self.personal_id))
        return [
            await _consent(ctx, c) for c in await ctx.consents.of_principal(str(self.personal_id))
        ]

    @strawberry.federation.field(
        policy=citizens_own_token(),
        requires_scopes=[[ACCOUNT_SCOPE]],
        directives=[list_size(20)],
    )
    async def mandates(self, info: Info[Any, Any]) -> list[Mandate]:
        ctx = _require_manager(info, str(self.personal_id))
        return [_mandate(m) for m in await ctx.mandates.involving(str(self.personal_id))]

    @strawberry.federation.field(
        policy=citizens_own_token(),
        description="Every response that disclosed this citizen's data to someone else, newest "
        "first; `platform` keeps one client's, `from` and `to` a time range (inclusive).",
        # A page holds `first` edges (20 unless given); `first: null` is refused by the
        # gateway's cost check, which needs the one slicing argument.
        directives=[list_size(slicing_arguments=["first"], sized_fields=["edges"])],
    )
    async def data_access_log(
        self,
        info: Info[Any, Any],
        first: int | None = 20,
        after: str | None = None,
        platform: str | None = None,
        from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        to: datetime | None = None,
    ) -> AccessLogConnection:
        personal_id = str(self.personal_id)
        ctx = _require_readable_log(info, personal_id)
        size = max(1, min(first or 20, 100))
        since = None if from_ is None else int(from_.timestamp())
        until = None if to is None else int(to.timestamp())
        entries, has_next = await ctx.access_log.entries_for(
            personal_id, first=size, after=_seq(after), client_id=platform, since=since, until=until
        )
        platforms = {
            client_id: await _platform(ctx, client_id)
            for client_id in dict.fromkeys(e.client_id for e in entries)
        }
        edges = [
            AccessLogEdge(cursor=_cursor(e.seq), node=_entry(e, platforms[e.client_id]))
            for e in entries
        ]
        return AccessLogConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=has_next, end_cursor=edges[-1].cursor if edges else None
            ),
            _count=lambda: ctx.access_log.count_for(
                personal_id, client_id=platform, since=since, until=until
            ),
        )


async def _grant_mandate(
    info: Info[Any, Any],
    delegate: strawberry.ID,
    themes: list[DataCategory],
    valid_until: datetime,
    valid_from: datetime | None = None,
) -> Mandate:
    caller = _manager(info)
    try:
        mandate = await _context(info).ctx.mandates.grant(
            caller,
            str(delegate),
            [t.value for t in themes],
            int(valid_until.timestamp()),
            int(valid_from.timestamp()) if valid_from else None,
        )
    except MandateError as error:
        raise _refusal(error) from None
    return _mandate(mandate)


async def _accept_mandate(info: Info[Any, Any], id: strawberry.ID) -> Mandate:
    caller = _manager(info)
    try:
        return _mandate(await _context(info).ctx.mandates.accept(str(id), caller))
    except MandateError as error:
        raise _refusal(error) from None


async def _revoke_mandate(info: Info[Any, Any], id: strawberry.ID) -> Mandate:
    caller = _manager(info)
    try:
        return _mandate(await _context(info).ctx.mandates.revoke(str(id), caller))
    except MandateError as error:
        raise _refusal(error) from None


async def _revoke_consent(info: Info[Any, Any], id: strawberry.ID) -> Consent:
    """The citizen withdraws any consent of theirs; a platform only the one it holds."""
    identity = _context(info).identity
    if identity.authority == "consent" and identity.subject is not None:
        if identity.consent_id != str(id):
            raise Forbidden("A platform may withdraw only the consent its token was given.")
        principal = identity.subject
    else:
        principal = _manager(info)
    ctx = _context(info).ctx
    try:
        consent = await ctx.consents.revoke(str(id), principal)
    except consents_module.ConsentError as error:
        raise _refusal(error) from None
    return await _consent(ctx, consent)


@strawberry.type
class Mutation:
    grant_mandate = strawberry.federation.mutation(
        resolver=_grant_mandate,
        policy=citizens_own_token(),
        requires_scopes=[[ACCOUNT_SCOPE]],
        description="Give `delegate` a mandate to act for you on `themes`.",
    )
    accept_mandate = strawberry.federation.mutation(
        resolver=_accept_mandate,
        policy=citizens_own_token(),
        requires_scopes=[[ACCOUNT_SCOPE]],
        description="Accept a mandate given to you; it takes effect now.",
    )
    revoke_mandate = strawberry.federation.mutation(
        resolver=_revoke_mandate,
        policy=citizens_own_token(),
        requires_scopes=[[ACCOUNT_SCOPE]],
        description="End a mandate you gave (or give one back).",
    )
    revoke_consent = strawberry.federation.mutation(
        resolver=_revoke_consent,
        policy=citizen_or_their_platform(),
        description="Withdraw a consent: the platform's tokens stop working. A platform may "
        "withdraw the consent it holds.",
    )


schema = strawberry.federation.Schema(mutation=Mutation, types=[Citizen])


class ConsentGraphQL(GraphQL[_Context, None]):
    """The consent schema over the auth server's stores; the caller is the identity
    `IdentityGuard` verified (see `consent_graphql`)."""

    def __init__(self, ctx: AuthContext) -> None:
        super().__init__(schema, graphql_ide=None)
        self.ctx = ctx

    async def get_context(self, request: Any, response: Any) -> _Context:
        return _Context(self.ctx, identity_of(request), request, response)


def consent_graphql(ctx: AuthContext, verifier: IdentityVerifier) -> ASGIApp:
    """The subgraph's endpoint: no valid identity token from the gateway, no GraphQL."""
    return IdentityGuard(ConsentGraphQL(ctx), verifier)
