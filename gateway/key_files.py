"""The gateway's own OKP keys (its identity-token signing key, its token-decryption key), kept
as JWK files that replicas share, or made for this process alone."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Literal

import orjson
from joserfc.jwk import OKPKey

log = logging.getLogger(__name__)


def load_or_create_okp_key(
    directory: Path | None, file_name: str, curve: Literal["Ed25519", "X25519"]
) -> OKPKey:
    """The key in `directory/file_name`, created on first use; without a directory, a key for
    this process only (one replica). Replicas share the directory."""
    if directory is None:
        log.info("%s: a key of this process only", file_name)
        return OKPKey.generate_key(curve, auto_kid=True)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = directory / file_name
    if not path.exists():
        key = OKPKey.generate_key(curve, auto_kid=True)
        # Exclusive create: replicas starting together agree on whichever key was written first.
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(descriptor, "wb") as file:
                file.write(orjson.dumps(key.as_dict(private=True)))
    return OKPKey.import_key(orjson.loads(path.read_bytes()))
