"""Gateway settings, from `GATEWAY_*` environment variables (or a `.env` file)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", env_file=".env", extra="ignore")

    supergraph: Path | None = None
    host: str = "127.0.0.1"
    port: int = Field(default=4000, ge=0, le=65535)
    # Seconds a subgraph may take; `subgraph_timeouts` overrides it per subgraph name.
    subgraph_timeout: float = Field(default=30.0, gt=0)
    subgraph_timeouts: dict[str, float] = {}
    # Answer `x-query-plan: true` with the plan in `extensions`: for development only.
    expose_query_plan: bool = False
    # Client headers passed on to every subgraph (lower case).
    propagate_headers: list[str] = ["authorization"]
    # Spans per request and per subgraph fetch: off, otlp (OTEL_EXPORTER_OTLP_* name the
    # collector) or console. Trace context reaches subgraphs either way.
    tracing: Literal["off", "otlp", "console"] = "off"
    document_cache_size: int = Field(default=2000, ge=1)
    max_request_bytes: int = Field(default=1_000_000, ge=1024)
    # Deepest nesting of fields an operation may have (introspection needs about 15).
    max_depth: int = Field(default=32, ge=1)
    max_connections_per_subgraph: int = Field(default=256, ge=1)
    # Identical subgraph queries in flight at once (same body and forwarded headers) are sent
    # once and their answer shared.
    deduplicate_subgraph_queries: bool = True
    # Progressive @override labels always on (beyond `percent(n)` ones, drawn per request).
    override_labels: list[str] = []
    # Subgraph name -> URL, replacing the supergraph's @join__graph urls (ports chosen at start).
    subgraph_urls: dict[str, str] = {}
    # The GraphiQL page for browsers at GET /graphql, and the headers its editor starts with.
    graphiql: bool = True
    graphiql_default_headers: dict[str, str] = {}
    # `package.module:callable` deciding @policy: called with (claims, policies) once per
    # request that touches a policy, answering {policy: bool}; required if the supergraph
    # uses @policy.
    policy_hook: str | None = Field(default=None, pattern=r"^[\w.]+:\w+$")
    # Refuse a whole request that selects a field the caller may not see, instead of
    # answering null there.
    reject_unauthorized: bool = False


def load_settings(**overrides: object) -> GatewaySettings:
    """Read the settings, exiting with a message that names each bad variable."""
    try:
        return GatewaySettings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        lines = [f"invalid gateway settings ({error.error_count()}):"]
        for item in error.errors():
            name = "GATEWAY_" + "_".join(str(part) for part in item["loc"]).upper()
            lines.append(f"  {name}: {item['msg']} (got {item.get('input')!r})")
        raise SystemExit("\n".join(lines)) from None
    except SettingsError as error:  # a dict or list setting that is not JSON
        raise SystemExit(f"invalid gateway settings: {error}") from None
