"""The FAPI 2.0 platform profile: what `profile: "fapi2"` turns on for a client, and the
server-wide settings that apply it (or PAR alone) to every third-party platform.

A client with the profile (registered with it, or a third-party platform while
`AUTH_PLATFORM_PROFILE=fapi2`):
- pushes every authorization request (RFC 9126), `require_pushed_authorization_requests`;
- authenticates with `private_key_jwt` only (registration refuses anything else);
- gets DPoP-bound access tokens only, `dpop_bound_access_tokens` (RFC 9449);
- gets ID tokens in PS256 (or ES256 when it asks), never RS256;
- receives `iss` in authorization responses (RFC 9207), as every client does.
First-party apps and resource servers are the platform's own: server-wide settings leave them
as configured.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from auth.clients import FAPI2, ClientConfigError, ClientMetadata, read_clients_file
from auth.settings import AuthSettings


@dataclass(frozen=True)
class PlatformProfile:
    """The server-wide settings for third-party platforms."""

    profile: str = ""
    require_pushed_authorization_requests: bool = False

    @classmethod
    def from_settings(cls, settings: AuthSettings) -> PlatformProfile:
        return cls(settings.platform_profile, settings.require_pushed_authorization_requests)

    def apply(self, metadata: ClientMetadata, third_party: bool = True) -> ClientMetadata:
        """The client's metadata as this server holds it to; ValueError (a pydantic
        ValidationError) when the profile cannot hold, e.g. a shared secret."""
        if third_party and (self.profile or self.require_pushed_authorization_requests):
            data = metadata.model_dump()
            if self.profile == FAPI2:
                data["profile"] = FAPI2
            if self.require_pushed_authorization_requests:
                data["require_pushed_authorization_requests"] = True
            metadata = type(metadata).model_validate(data)
        return with_profile(metadata)


def with_profile(metadata: ClientMetadata) -> ClientMetadata:
    """A client's own `profile` spelled out in the settings it implies."""
    if metadata.profile != FAPI2:
        return metadata
    return metadata.model_copy(
        update={
            "require_pushed_authorization_requests": True,
            "dpop_bound_access_tokens": True,
            "id_token_signed_response_alg": metadata.id_token_signed_response_alg or "PS256",
        }
    )


def check_configured_clients(settings: AuthSettings) -> None:
    """Fail the start when a configured third-party platform cannot hold the server-wide
    profile (e.g. a shared secret under `AUTH_PLATFORM_PROFILE=fapi2`), naming both."""
    if settings.clients_file is None:
        return
    profile = PlatformProfile.from_settings(settings)
    for client in read_clients_file(Path(settings.clients_file)):
        if client.first_party or client.resource_server:
            continue
        try:
            profile.apply(client, third_party=True)
        except ValidationError as error:
            reason = error.errors()[0]["msg"]
            raise ClientConfigError(
                f"AUTH_PLATFORM_PROFILE={settings.platform_profile}: AUTH_CLIENTS_FILE client "
                f"{client.client_id!r} cannot use it: {reason}"
            ) from None
