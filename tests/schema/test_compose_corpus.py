"""The composition corpus: one fixture set per rule the federation gateway audit exercises,
written here, each with what @apollo/composition 2.14.4 answers for it committed beside it.

A set with `expected.graphql` must compose to that supergraph (ordering aside); a set with
`expected-error.txt` must be refused with that code. Both are checked always, so CI checks
composition without Node; with Node, the slow tests check the committed answers are still
Apollo's. To write them for a new set, from the repository root:

    python -c 'import sys; sys.path.insert(0, "tests/schema")
    from compose_testing import FIXTURES, fixture_set
    from bench.apollo_composition import apollo_composer
    name = "SET"; print(apollo_composer()(fixture_set(name)))'
"""

from __future__ import annotations

import difflib

import pytest
from compose_testing import EXPECTED, EXPECTED_ERROR, FIXTURES, error_codes, fixture_set

from bench.apollo_composition import ApolloCompose, normalise
from schema.compose import compose

COMPOSED = sorted(p.parent.name for p in FIXTURES.glob(f"*/{EXPECTED}"))
REFUSED = sorted(p.parent.name for p in FIXTURES.glob(f"*/{EXPECTED_ERROR}"))


def _diff(expected: list[str], ours: list[str]) -> str:
    return "\n".join(difflib.unified_diff(expected, ours, "apollo", "ours", lineterm=""))


def test_corpus_is_there() -> None:
    assert len(COMPOSED) >= 6 and len(REFUSED) >= 5


@pytest.mark.parametrize("name", COMPOSED)
def test_composes_to_the_committed_supergraph(name: str) -> None:
    result = compose(fixture_set(name))
    assert not result.errors, "\n".join(str(e) for e in result.errors)
    assert result.supergraph_sdl is not None
    expected = normalise((FIXTURES / name / EXPECTED).read_text())
    ours = normalise(result.supergraph_sdl)
    assert ours == expected, _diff(expected, ours)


@pytest.mark.parametrize("name", REFUSED)
def test_refused_with_the_committed_code(name: str) -> None:
    code = (FIXTURES / name / EXPECTED_ERROR).read_text().strip()
    result = compose(fixture_set(name))
    assert result.supergraph_sdl is None
    assert code in error_codes(result), [str(e) for e in result.errors]


@pytest.mark.slow
@pytest.mark.parametrize("name", COMPOSED)
def test_committed_supergraph_is_apollos(name: str, apollo: ApolloCompose) -> None:
    theirs = apollo(fixture_set(name))
    assert "errors" not in theirs, theirs
    expected = normalise((FIXTURES / name / EXPECTED).read_text())
    live = normalise(theirs["supergraph"])
    assert live == expected, _diff(expected, live)


@pytest.mark.slow
@pytest.mark.parametrize("name", REFUSED)
def test_committed_code_is_apollos(name: str, apollo: ApolloCompose) -> None:
    code = (FIXTURES / name / EXPECTED_ERROR).read_text().strip()
    theirs = apollo(fixture_set(name))
    assert code in [error.get("code") for error in theirs.get("errors", ())], theirs
