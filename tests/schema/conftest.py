from __future__ import annotations

import pytest

from bench.apollo_composition import ApolloCompose, apollo_composer


@pytest.fixture(scope="session")
def apollo() -> ApolloCompose:
    """@apollo/composition, installed with npm into a cache outside the repository."""
    composer = apollo_composer()
    if isinstance(composer, str):
        pytest.skip(composer)
    return composer
