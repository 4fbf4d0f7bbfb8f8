"""Gateway settings, from `GATEWAY_*` environment variables (or a `.env` file)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from joserfc.jws import JWSRegistry
from pydantic import Field, StringConstraints, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

from gateway.errors import ConfigurationError


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", env_file=".env", extra="ignore")

    supergraph: Path | None = None
    host: str = "127.0.0.1"
    port: int = Field(default=4000, ge=0, le=65535)
    # Seconds a subgraph may take; `subgraph_timeouts` overrides it per subgraph name. A
    # subgraph lookup answers in milliseconds: past 5 s the client has given up, and a hung
    # subgraph would hold a connection and a request slot per caller for the whole wait.
    subgraph_timeout: float = Field(default=5.0, gt=0, le=300)
    subgraph_timeouts: dict[str, float] = {}
    # Answer `x-query-plan: true` with the plan in `extensions`: for development only.
    expose_query_plan: bool = False
    # Client headers passed on to every subgraph (lower case). Never `authorization`: the
    # client's token stays at the gateway; subgraphs get the gateway's identity token.
    propagate_headers: list[str] = []
    # Spans per request and per subgraph fetch: off, otlp (OTEL_EXPORTER_OTLP_* name the
    # collector) or console. Trace context reaches subgraphs either way.
    tracing: Literal["off", "otlp", "console"] = "off"
    document_cache_size: int = Field(default=2000, ge=1)
    max_request_bytes: int = Field(default=1_000_000, ge=1024)
    max_connections_per_subgraph: int = Field(default=256, ge=1)
    # Identical subgraph queries in flight at once (same body and forwarded headers) are sent
    # once and their answer shared.
    deduplicate_subgraph_queries: bool = True
    # Progressive @override labels always on (beyond `percent(n)` ones, drawn per request).
    override_labels: list[str] = []
    # Subgraph name -> URL, replacing the supergraph's @join__graph urls (ports chosen at start).
    subgraph_urls: dict[str, str] = {}
    # The GraphiQL page for browsers at GET /graphql, and the headers its editor starts with.
    # Unset: on in development only (see `introspection`).
    graphiql: bool | None = None
    graphiql_default_headers: dict[str, str] = {}
    # GraphiQL's "Sign in": the OAuth client it is at `issuer` (a first-party public client
    # whose redirect URI is this gateway's /graphql/signin/callback) and the scope it asks
    # for. Without an issuer or a client id the page has no sign-in.
    graphiql_client_id: str | None = None
    graphiql_scope: str = "openid"
    # A "Developer guide" link on the GraphiQL page (an http(s) URL, or a path on this
    # gateway such as /guide); unset: no link.
    graphiql_guide_url: str | None = Field(default=None, pattern=r"^(https?://|/)")
    # A Markdown file the gateway serves as HTML at GET /guide; unset: no /guide.
    guide_file: Path | None = None
    # `package.module:callable` deciding @policy: called with (claims, policies) once per
    # request that touches a policy, answering {policy: bool}; required if the supergraph
    # uses @policy.
    policy_hook: str | None = Field(default=None, pattern=r"^[\w.]+:\w+$")
    # Refuse a whole request that selects a field the caller may not see, instead of
    # answering null there.
    reject_unauthorized: bool = False
    # Disclosures (gateway/disclosure.py): the data subject's type and key field
    # ("Type.keyField"), and `package.module:callable` recording what each response disclosed
    # about each subject before it leaves (both or neither); seconds the hook may take before
    # the response is refused.
    disclosure_subject: str | None = Field(default=None, pattern=r"^\w+\.\w+$")
    disclosure_hook: str | None = Field(default=None, pattern=r"^[\w.]+:\w+$")
    disclosure_timeout: float = Field(default=5.0, gt=0)

    # -- who is asking (gateway/authentication.py)
    # The access-token issuer, found through its discovery document; unset, every Bearer token
    # is refused and callers are anonymous.
    issuer: str | None = None
    audience: str | None = None
    # Where the issuer's keys are, when the gateway reaches the issuer at another address than
    # the one its tokens name (inside a container network, say); unset: from discovery.
    jwks_url: str | None = None
    token_algorithms: list[str] = ["RS256", "PS256", "ES256", "EdDSA"]
    # Seconds of clock difference tolerated on exp, nbf and iat.
    token_leeway: float = Field(default=30.0, ge=0, le=300)
    # development: `dev_identity_header` names a person, for whom the issuer's development
    # endpoint `dev_token_url` mints a token. production: the header does nothing.
    env: Literal["development", "production"] = "production"
    dev_identity_header: str = "x-citizen-dev-identity"
    dev_token_url: str | None = None

    # -- revocations (gateway/revocation.py): Redis fan-out, an HTTP poll of the issuer, or both
    revocation_redis_url: str | None = None
    revocation_redis_channel: str = "auth:revocations"
    revocation_redis_set: str = "auth:revoked"
    revocation_poll_url: str | None = None
    revocation_poll_interval: float = Field(default=0.5, gt=0)
    # Tokens are refused (503) when no feed has been in touch for longer than this.
    revocation_max_staleness: float = Field(default=30.0, gt=0)
    # Access-token claim -> the kind of revocation key it names.
    revocation_claims: dict[str, str] = {
        "jti": "jti",
        "consent_id": "consent",
        "mandate_id": "mandate",
    }
    # With an issuer and no feed the gateway would honour revoked tokens: it refuses to start
    # unless this is explicitly false.
    revocation_required: bool = True

    # -- DPoP-bound access tokens (gateway/dpop.py), checked in authentication
    # Proof algorithms accepted (asymmetric only).
    dpop_algorithms: list[str] = ["ES256", "PS256", "EdDSA"]
    # A proof's iat may be this many seconds old, and this many ahead of our clock.
    dpop_iat_window: float = Field(default=60.0, gt=0, le=3600)
    dpop_iat_leeway: float = Field(default=5.0, ge=0, le=300)
    # The replay cache of proof jti values, shared by every replica; unset: this process's
    # memory (one replica only).
    dpop_redis_url: str | None = None
    dpop_redis_prefix: str = Field(default="gateway:dpop:", min_length=1)
    # Require the server's nonce in every proof (RFC 9449 §8), renewed every `lifetime` s.
    dpop_nonce: bool = False
    dpop_nonce_lifetime: float = Field(default=300.0, ge=10, le=86_400)
    # The gateway's URL as clients address it (scheme://host[:port][/prefix]), which a proof's
    # htu must name; behind a proxy the request's own URL differs. Unset: the request's URL.
    public_url: str | None = Field(default=None, pattern=r"^https?://[^/\s?#]+(/[^\s?#]*)?$")

    # -- the identity token signed for subgraphs (gateway/identity.py)
    identity_issuer: str = "urn:citizen-account:gateway"
    identity_ttl: int = Field(default=30, ge=1, le=59)
    # Where the signing key lives (created at first start); replicas must share it. Unset:
    # a key of this process only.
    identity_key_dir: Path | None = None
    # Claims copied from the caller's access token into each identity token.
    identity_claims: list[str] = [
        "sub",
        "act",
        "client_id",
        "scope",
        "consent_id",
        "mandate_id",
        "delegation",
        "authority",
        "guardian_of",
    ]

    # -- admission: persisted documents (gateway/persisted.py), rate limits (gateway/ratelimit.py)
    # off: any document runs. allow_unregistered: the manifest's documents can be sent by id,
    # any other document still runs. safelist: only the manifest's documents run.
    persisted_documents: Literal["off", "allow_unregistered", "safelist"] = "off"
    # The registered operations: an Apollo persisted query manifest, or a JSON map id -> body;
    # read at start (required unless `persisted_documents` is off).
    persisted_manifest: Path | None = None
    # Automatic persisted queries: a client sends a document's sha256 instead of its text
    # once it has sent the text with it. Refused with the safelist (it would register more).
    apq: bool = True
    # Bytes of documents the in-process APQ store holds (least recently used go first).
    apq_cache_bytes: int = Field(default=10_000_000, ge=10_000)
    # With a Redis URL, APQ registrations are shared with every replica, kept for the TTL.
    persisted_redis_url: str | None = None
    persisted_redis_prefix: str = Field(default="gateway:apq:", min_length=1)
    persisted_redis_ttl: int = Field(default=86_400, ge=60, le=30 * 86_400)
    # Requests per window from one client address; None: no limit.
    rate_limit_per_ip: int | None = Field(default=None, ge=1)
    # Requests per window of a token's `client_id`, and quotas of named clients (from their
    # registration) overriding that default; a client absent from both is not limited.
    rate_limit_per_client: int | None = Field(default=None, ge=1)
    rate_limit_clients: dict[str, int] = {}
    # Seconds of the sliding window the limits count in.
    rate_limit_window: float = Field(default=60.0, ge=1, le=3600)
    # Proxies in front of the gateway that append to X-Forwarded-For: the client address is
    # the entry that many from the right. 0: the connection's address (the header is ignored).
    trusted_proxies: int = Field(default=0, ge=0, le=10)
    # With a Redis URL, replicas count in one shared window (else each counts its own).
    ratelimit_redis_url: str | None = None
    ratelimit_redis_prefix: str = Field(default="gateway:ratelimit:", min_length=1)

    # -- request limits (gateway/limits.py), checked on the text and the parsed document before
    # validation, fragments counted as if inlined; and the document cache's memory
    # (gateway/pipeline.py). docs/security.md, "Request limits", says why each default.
    # Characters in the query, checked before anything reads it.
    max_query_length: int = Field(default=32_000, ge=1_000, le=10_000_000)
    # Lexical tokens (names, punctuators, values, comments): bounds the parser's time.
    max_tokens: int = Field(default=1_000, ge=200, le=1_000_000)
    # Deepest nesting of fields (introspection needs 15).
    max_depth: int = Field(default=32, ge=1, le=1_000)
    # Aliased fields, fragments expanded: each is a separate resolver call.
    max_aliases: int = Field(default=100, ge=0)
    # Fields, fragments expanded: the size of the work the operation asks for.
    max_fields: int = Field(default=2_000, ge=1)
    # Pairs of fields sharing a response key at one place (fragments expanded, same-key
    # fields' selections merged), in the whole document: validation compares each pair.
    max_field_pairs: int = Field(default=200, ge=0, le=1_000_000)
    # Fields at the root of one operation, fragments expanded.
    max_root_fields: int = Field(default=50, ge=1)
    # Directives on one field, fragment or definition.
    max_directives: int = Field(default=10, ge=1)
    # Bytes of memory the cached documents (parsed, with their plans) may take, as estimated
    # by gateway/pipeline.py; `document_cache_size` bounds their number as well.
    document_cache_bytes: int = Field(default=64 * 1024 * 1024, ge=1024 * 1024)
    # Normalised operations and plans kept per document (one per @skip/@include values and
    # per @override labels and authorization outcome); past it, planned without caching.
    max_plans_per_document: int = Field(default=32, ge=1, le=10_000)

    # -- faults (gateway/resilience.py, gateway/shedding.py)
    # Attempts per subgraph request of a query (2: one retry). Mutations are sent once.
    subgraph_max_attempts: int = Field(default=2, ge=1, le=5)
    # Seconds before retry n: random between 0 and base * 2**(n-1), so retries of many
    # requests that failed together are spread out.
    subgraph_retry_base_delay: float = Field(default=0.02, ge=0, le=5)
    # Retries to a subgraph may add this share of its requests of the last 10 s, plus
    # `min_per_second`: a failing subgraph is not sent a multiple of its load.
    subgraph_retry_budget_ratio: float = Field(default=0.2, ge=0, le=1)
    subgraph_retry_budget_min_per_second: float = Field(default=5.0, ge=0, le=10_000)
    # Consecutive failures (no connection, timeout, HTTP 5xx) that open a subgraph's circuit:
    # its fetches then fail at once (SUBREQUEST_CIRCUIT_OPEN) instead of waiting on it.
    circuit_breaker_failures: int = Field(default=5, ge=1, le=10_000)
    # Seconds an open circuit waits before letting one probe request through; short, so a
    # subgraph that is back serves again within a second.
    circuit_breaker_cooldown: float = Field(default=0.25, gt=0, le=60)
    # GraphQL requests served at once; past it a request is answered 503 SERVICE_OVERLOADED
    # with Retry-After at once, instead of queueing until every caller times out. 64 kept the
    # accepted p99 at 321 ms under 4x overload, where 256 let it reach 2.9 s and 1000 shed
    # nothing (bench/README.md, "Overload"). Requests waiting on a slow subgraph count too:
    # raise it to about requests per second x subgraph latency when subgraphs are slow.
    max_in_flight_requests: int = Field(default=64, ge=1, le=1_000_000)
    # The Retry-After (seconds) of a request refused for overload.
    overload_retry_after: int = Field(default=1, ge=1, le=3600)
    # On SIGTERM `python -m gateway` stops accepting connections and lets the requests in
    # flight finish for up to this many seconds before it closes subgraph connections.
    shutdown_grace: int = Field(default=10, ge=0, le=300)

    # -- cost (gateway/cost.py): static cost from @cost and @listSize, checked before planning
    # enforce: refuse an operation estimated over `cost_budget` (400,
    # COST_ESTIMATED_TOO_EXPENSIVE); measure: never refuse, report the estimate in every
    # response and log it (to tune a budget); off: estimate nothing.
    cost_mode: Literal["enforce", "measure", "off"] = "enforce"
    # The largest estimated cost an operation may have; unset: no limit.
    cost_budget: int | None = Field(default=None, ge=0)
    # The size assumed for a list field without @listSize (or whose slicing argument is not
    # given and which has no assumedSize).
    cost_default_list_size: int = Field(default=10, ge=0, le=1_000_000)
    # Put `extensions.cost` ({"estimated", "budget"}) in every response in enforce mode too.
    cost_in_extensions: bool = False

    # -- abuse resistance (gateway/cross_origin.py, gateway/exposure.py)
    # Origins (scheme://host[:port], as browsers send them) whose pages may read the gateway's
    # answers; "*" for any page (refused with credentials). Empty: no cross-origin page may.
    cors_origins: list[Annotated[str, StringConstraints(pattern=r"^(\*|https?://[^/\s]+)$")]] = []
    # Let those pages send cookies and HTTP authentication too; a Bearer token needs no such
    # leave, it is an ordinary header.
    cors_allow_credentials: bool = False
    # Unset (None): on in development, off in production; true or false wins over GATEWAY_ENV.
    # `__schema` and `__type` answered (GraphiQL's documentation and completion need them).
    introspection: bool | None = None
    # Unset: off in development, on in production, where they would spell the schema out to
    # anyone guessing field names. graphql-core's " Did you mean ...?" cut from error messages.
    mask_suggestions: bool | None = None
    # Unset: off in development, on in production. Subgraph errors (and failures to reach
    # one) shown as "Subgraph 'x' failed." with their path, code, the subgraph's name and the
    # trace id; the subgraph's message and extensions go to the log under that trace id.
    mask_subgraph_errors: bool | None = None
    # Longest error message a client gets, in any env: longer ones (quoting what the caller
    # sent, mostly) lose their middle, so a 900 KB variable is not echoed back.
    max_error_message_length: int = Field(default=1000, ge=100, le=1_000_000)

    @model_validator(mode="after")
    def _env_defaults(self) -> GatewaySettings:
        development = self.env == "development"
        for name in ("graphiql", "introspection"):
            if getattr(self, name) is None:
                setattr(self, name, development)
        for name in ("mask_suggestions", "mask_subgraph_errors"):
            if getattr(self, name) is None:
                setattr(self, name, not development)
        return self

    @field_validator("token_algorithms", "dpop_algorithms")
    @classmethod
    def _asymmetric_only(cls, algorithms: list[str]) -> list[str]:
        # A symmetric algorithm would let anyone holding the issuer's public key sign tokens.
        refused = [a for a in algorithms if a.lower() == "none" or a.upper().startswith("HS")]
        if refused or not algorithms:
            raise ValueError(f"only asymmetric algorithms are accepted, not {refused or 'none'}")
        return algorithms

    @field_validator("graphiql_scope")
    @classmethod
    def _openid(cls, scope: str) -> str:
        # The page shows who signed in from the ID token, which only `openid` brings.
        if "openid" not in scope.split():
            raise ValueError("must include openid")
        return scope

    @field_validator("propagate_headers")
    @classmethod
    def _no_client_credentials(cls, names: list[str]) -> list[str]:
        lowered = [name.lower() for name in names]
        if "authorization" in lowered:
            raise ValueError(
                "authorization is never propagated: subgraphs receive the gateway's identity token"
            )
        return lowered


def check_settings(settings: GatewaySettings) -> None:
    """Combinations the gateway cannot honour stop the start, naming the variable to fix."""
    if settings.issuer is not None and not settings.audience:
        raise ConfigurationError("GATEWAY_AUDIENCE: required with GATEWAY_ISSUER")
    if (
        settings.issuer is not None
        and settings.revocation_required
        and not (settings.revocation_redis_url or settings.revocation_poll_url)
    ):
        raise ConfigurationError(
            "GATEWAY_REVOCATION_REDIS_URL or GATEWAY_REVOCATION_POLL_URL: a revocation feed is "
            "required with GATEWAY_ISSUER (or set GATEWAY_REVOCATION_REQUIRED=false)"
        )
    if settings.dev_token_url is not None and settings.env != "development":
        raise ConfigurationError("GATEWAY_DEV_TOKEN_URL: refused unless GATEWAY_ENV=development")
    if (
        settings.graphiql_client_id is not None
        and settings.issuer is not None
        and urlsplit(settings.issuer).scheme not in ("http", "https")
    ):
        raise ConfigurationError(
            "GATEWAY_GRAPHIQL_CLIENT_ID: a browser signs in only at an http(s) GATEWAY_ISSUER"
        )
    if any(not 0 < seconds <= 300 for seconds in settings.subgraph_timeouts.values()):
        raise ConfigurationError("GATEWAY_SUBGRAPH_TIMEOUTS: each timeout must be in (0, 300] s")
    if settings.cost_mode == "off" and (
        settings.cost_budget is not None or settings.cost_in_extensions
    ):
        raise ConfigurationError(
            "GATEWAY_COST_MODE: off, yet GATEWAY_COST_BUDGET or GATEWAY_COST_IN_EXTENSIONS is "
            "set; choose enforce or measure"
        )
    if settings.dev_token_url is not None and settings.issuer is None:
        raise ConfigurationError("GATEWAY_DEV_TOKEN_URL: needs GATEWAY_ISSUER to verify its tokens")
    if unknown := sorted(set(settings.dpop_algorithms) - set(JWSRegistry.algorithms)):
        raise ConfigurationError(f"GATEWAY_DPOP_ALGORITHMS: unknown algorithms {unknown}")
    if "*" in settings.cors_origins and settings.cors_allow_credentials:
        # Browsers refuse credentials with `*`; echoing any origin instead would hand every
        # site the caller's cookies.
        raise ConfigurationError(
            'GATEWAY_CORS_ALLOW_CREDENTIALS: refused with GATEWAY_CORS_ORIGINS ["*"]; name the '
            "origins instead"
        )
    _check_admission(settings)


def _check_admission(settings: GatewaySettings) -> None:
    mode = settings.persisted_documents
    if mode != "off" and settings.persisted_manifest is None:
        raise ConfigurationError(
            f"GATEWAY_PERSISTED_MANIFEST: required with GATEWAY_PERSISTED_DOCUMENTS={mode}"
        )
    if mode == "off" and settings.persisted_manifest is not None:
        raise ConfigurationError(
            "GATEWAY_PERSISTED_MANIFEST: unused unless GATEWAY_PERSISTED_DOCUMENTS is "
            "allow_unregistered or safelist"
        )
    if mode == "safelist" and settings.apq:
        raise ConfigurationError(
            "GATEWAY_APQ: must be false with GATEWAY_PERSISTED_DOCUMENTS=safelist (automatic "
            "persisted queries would run documents the safelist does not hold)"
        )
    if settings.persisted_redis_url is not None and not settings.apq:
        raise ConfigurationError("GATEWAY_PERSISTED_REDIS_URL: it stores APQ, which is off")
    if bad := {c: q for c, q in settings.rate_limit_clients.items() if q < 1}:
        raise ConfigurationError(f"GATEWAY_RATE_LIMIT_CLIENTS: quotas must be >= 1: {bad}")
    limited = (settings.rate_limit_per_ip, settings.rate_limit_per_client) != (None, None)
    if settings.ratelimit_redis_url is not None and not (limited or settings.rate_limit_clients):
        raise ConfigurationError("GATEWAY_RATELIMIT_REDIS_URL: no rate limit is set")


def load_settings(**overrides: object) -> GatewaySettings:
    """Read the settings, exiting with a message that names each bad variable."""
    try:
        settings = GatewaySettings(**overrides)  # type: ignore[arg-type]
        check_settings(settings)
        return settings
    except ValidationError as error:
        lines = [f"invalid gateway settings ({error.error_count()}):"]
        for item in error.errors():
            name = "GATEWAY_" + "_".join(str(part) for part in item["loc"]).upper()
            lines.append(f"  {name}: {item['msg']} (got {item.get('input')!r})")
        raise SystemExit("\n".join(lines)) from None
    except (SettingsError, ConfigurationError) as error:  # SettingsError: a dict that is not JSON
        raise SystemExit(f"invalid gateway settings: {error}") from None
