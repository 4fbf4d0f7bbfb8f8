"""The gateway's disclosure hook for this platform (`GATEWAY_DISCLOSURE_HOOK` =
`auth.disclosures:record`): who each disclosure went to, and the group commit that writes the
records to the access log.

    gateway, per response ─▶ record(claims, disclosures, trace_id)
        records_for: one record per data subject who is not the token's own citizen
        GroupCommit.submit: waits with the records of concurrent responses until
            CITIZEN_DISCLOSURE_MAX_BATCH records wait or CITIZEN_DISCLOSURE_MAX_WAIT_MS pass,
            and the POST before it is done
        ─▶ one POST of the list to CITIZEN_DISCLOSURE_URL (the auth server's
           /access-log/disclosures, HTTP Basic as a resource-server client), written there in
           one transaction
        ◀─ 201: every response in the batch may leave; anything else: each raises (503)

Who the record names, by the token's `authority` (auth/authority.py):

    self          the citizen's own reads: no record; a ward's data read on the guardian's
                  own token: actor = the guardian, purpose "guardianship"
    consent       a platform: consent_id, purpose = the consent's purposes for the categories
    mandate       a delegate: actor = act.sub, mandate_id, purpose "mandate"
    guardianship  a guardian's exchanged token: actor = act.sub, purpose "guardianship"

`record` is built on each access from the CITIZEN_DISCLOSURE_* variables (module
`__getattr__`), so a gateway configured with this hook but not its settings does not start.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
import orjson
from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:  # the hook runs in the gateway; the auth server never imports it
    from gateway.disclosure import Disclosure

Record = dict[str, Any]
_PURPOSE_OF_AUTHORITY = {"mandate": "mandate", "guardianship": "guardianship"}


class DisclosureLogError(Exception):
    """The access log did not take a batch: every response in it must be refused."""


class DisclosureLogSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CITIZEN_DISCLOSURE_", extra="ignore")

    url: str  # the auth server's /access-log/disclosures
    client_id: str  # a resource-server client of the auth server
    client_secret: str = ""
    client_secret_file: Path | None = None  # where the launcher keeps the generated secret
    max_batch: int = Field(default=256, ge=1)
    max_wait_ms: float = Field(default=2.0, ge=0)
    max_writes: int = Field(default=1, ge=1)  # POSTs in flight at once
    timeout: float = Field(default=5.0, gt=0)

    def secret(self) -> str:
        if self.client_secret:
            return self.client_secret
        if self.client_secret_file is not None:
            return self.client_secret_file.read_text().strip()
        raise ValueError(
            "CITIZEN_DISCLOSURE_CLIENT_SECRET or CITIZEN_DISCLOSURE_CLIENT_SECRET_FILE: required"
        )


def records_for(
    claims: Mapping[str, Any] | None, disclosures: Sequence[Disclosure], trace_id: str | None
) -> list[Record]:
    """The access-log records of one response: one per data subject other than the citizen
    whose own token it is."""
    if claims is None:
        # Scoped data never reaches an anonymous caller; if it did, nobody could be named.
        raise DisclosureLogError("personal data disclosed to an anonymous caller")
    subject = claims.get("sub")
    authority = claims.get("authority")
    act = claims.get("act")
    actor = act.get("sub") if isinstance(act, Mapping) else None
    if authority == "self":
        actor = subject  # reading anyone else on their own token: a guardian, for a ward
    records = []
    for disclosure in disclosures:
        if authority == "self" and disclosure.subject == subject:
            continue
        categories = sorted(
            {scope.removesuffix(":read") for scope in disclosure.scopes if scope.endswith(":read")}
        )
        records.append(
            {
                "principal": disclosure.subject,
                "client_id": str(claims["client_id"]),
                "categories": categories,
                "fields": list(disclosure.fields),
                "purpose": _purpose(claims, authority, categories),
                "actor": actor,
                "consent_id": claims.get("consent_id"),
                "mandate_id": claims.get("mandate_id"),
                "trace_id": trace_id,
            }
        )
    return records


def _purpose(claims: Mapping[str, Any], authority: Any, categories: list[str]) -> str:
    if authority == "self":
        return "guardianship"
    if authority != "consent":
        return _PURPOSE_OF_AUTHORITY.get(str(authority), "")
    # The consent's authorization_details (RFC 9396): the purposes given for these categories.
    details = [d for d in claims.get("authorization_details", []) if isinstance(d, Mapping)]
    matching = [d for d in details if set(d.get("datatypes", ())) & set(categories)] or details
    return "; ".join(dict.fromkeys(str(d["purpose"]) for d in matching if d.get("purpose")))


class GroupCommit:
    """Batches concurrent submissions into one `write`. A batch is due when `max_batch`
    records wait or `max_wait` seconds after its first record, whichever comes first, and is
    written as soon as fewer than `max_writes` writes are in flight: what arrives meanwhile
    joins it, so under load batches grow instead of writes multiplying (the log appends one
    batch at a time anyway). Each submitter awaits the outcome of its own batch; one that
    stops waiting (its response timed out) leaves the batch to the others."""

    def __init__(
        self,
        write: Callable[[list[Record]], Awaitable[None]],
        max_batch: int,
        max_wait: float,
        max_writes: int = 1,
    ) -> None:
        self.write = write
        self.max_batch = max_batch
        self.max_wait = max_wait
        self.max_writes = max_writes
        self._waiting: list[tuple[list[Record], asyncio.Future[None]]] = []
        self._count = 0
        self._due = False
        self._timer: asyncio.TimerHandle | None = None
        self._writes: set[asyncio.Task[None]] = set()

    async def submit(self, records: list[Record]) -> None:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        self._waiting.append((records, future))
        self._count += len(records)
        if self._count >= self.max_batch:
            self._due = True
            self._flush()
        elif not self._due and self._timer is None:
            self._timer = loop.call_later(self.max_wait, self._expire)
        await future

    def _expire(self) -> None:
        self._timer = None
        self._due = True
        self._flush()

    def _flush(self) -> None:
        if not self._due or len(self._writes) >= self.max_writes:
            return  # a write in flight will flush when it is done
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, self._waiting, self._count, self._due = self._waiting, [], 0, False
        task = asyncio.get_running_loop().create_task(self._write(batch))
        self._writes.add(task)  # the loop keeps only weak references to tasks
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._writes.discard(task)
        self._flush()

    async def _write(self, batch: list[tuple[list[Record], asyncio.Future[None]]]) -> None:
        try:
            await self.write([record for records, _ in batch for record in records])
        except Exception as error:
            failure = DisclosureLogError(f"the access log did not take the batch: {error!r}")
            for _, future in batch:
                if not future.done():
                    future.set_exception(failure)
        else:
            for _, future in batch:
                if not future.done():
                    future.set_result(None)


class DisclosureLog:
    """The hook: `await log(claims, disclosures, trace_id)`. One group commit and HTTP session
    per event loop (a process may run several, as the tests do); `aclose` closes the current
    loop's, as the gateway does when it stops."""

    def __init__(self, settings: DisclosureLogSettings) -> None:
        self.settings = settings
        self._authorization = aiohttp.encode_basic_auth(settings.client_id, settings.secret())
        self._commits: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, tuple[GroupCommit, aiohttp.ClientSession]
        ] = weakref.WeakKeyDictionary()

    async def __call__(
        self,
        claims: Mapping[str, Any] | None,
        disclosures: Sequence[Disclosure],
        trace_id: str | None,
    ) -> None:
        records = records_for(claims, disclosures, trace_id)
        if records:
            await self._commit().submit(records)

    async def aclose(self) -> None:
        found = self._commits.pop(asyncio.get_running_loop(), None)
        if found is not None:
            await found[1].close()

    def _commit(self) -> GroupCommit:
        loop = asyncio.get_running_loop()
        found = self._commits.get(loop)
        if found is not None:
            return found[0]
        # aiohttp, as the gateway's own transport: per POST a fraction of httpx's CPU.
        session = aiohttp.ClientSession(
            headers={"authorization": self._authorization, "content-type": "application/json"},
            timeout=aiohttp.ClientTimeout(total=self.settings.timeout),
        )
        url = self.settings.url

        async def post(records: list[Record]) -> None:
            async with session.post(url, data=orjson.dumps(records)) as response:
                body = await response.read()
            if response.status != 201:
                raise DisclosureLogError(f"{url} answered {response.status}: {body[:200]!r}")
            recorded = orjson.loads(body).get("recorded")
            if not isinstance(recorded, list) or len(recorded) != len(records):
                raise DisclosureLogError(f"{url} did not record every record")

        commit = GroupCommit(
            post,
            self.settings.max_batch,
            self.settings.max_wait_ms / 1000,
            self.settings.max_writes,
        )
        self._commits[loop] = (commit, session)
        return commit


def from_environment() -> DisclosureLog:
    """The hook as the CITIZEN_DISCLOSURE_* variables configure it; ValueError naming each
    missing or bad variable."""
    try:
        settings = DisclosureLogSettings()  # type: ignore[call-arg]
    except ValidationError as error:
        problems = [
            f"CITIZEN_DISCLOSURE_{str(item['loc'][0]).upper()}: {item['msg']}"
            for item in error.errors()
        ]
        raise ValueError("; ".join(problems)) from None
    return DisclosureLog(settings)


def __getattr__(name: str) -> Any:
    if name == "record":
        return from_environment()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
