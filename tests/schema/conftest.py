from __future__ import annotations

import os
from pathlib import Path

import pytest
from compose_testing import ApolloCompose, apollo_composer


@pytest.fixture(scope="session")
def apollo() -> ApolloCompose:
    """@apollo/composition, installed with npm into a cache outside the repository."""
    default_cache = Path.home() / ".cache" / "citizen-account"
    cache = Path(os.environ.get("CITIZEN_NPM_CACHE", default_cache))
    composer = apollo_composer(cache)
    if isinstance(composer, str):
        pytest.skip(composer)
    return composer
