"""The request limits as a pure function (gateway/limits.py): each limit refuses with its own
code and a message naming the measured value and the limit; the operations the platform,
the benchmarks and GraphiQL send pass the defaults; and the worst documents that fit the body
limit are refused in a few milliseconds, measured on the function itself."""

import time
from collections.abc import Callable

import pytest
from graphql import GraphQLError, get_introspection_query

from bench import queries
from gateway.limits import LimitExceeded, RequestLimits, parse_within_limits
from gateway.settings import GatewaySettings

DEFAULTS = RequestLimits.from_settings(GatewaySettings())
BODY_LIMIT = GatewaySettings().max_request_bytes
# The token count alone between an attacker and the parser: the length limit raised to the
# body limit, so every flood below reaches the count.
LONG_QUERIES = RequestLimits.from_settings(GatewaySettings(max_query_length=BODY_LIMIT))
# No length or token limit: for documents that test the other limits at sizes beyond them.
LONG_QUERIES_AND_TOKENS = RequestLimits.from_settings(
    GatewaySettings(max_query_length=BODY_LIMIT, max_tokens=1_000_000)
)


def refusal(query: str, limits: RequestLimits = DEFAULTS) -> LimitExceeded:
    with pytest.raises(LimitExceeded) as caught:
        parse_within_limits(query, limits)
    return caught.value


def code(error: LimitExceeded) -> str:
    code: str = error.formatted["extensions"]["code"]
    return code


def fragment_bomb(fragments: int) -> str:
    """Each fragment spreads the next one twice: 2^fragments fields, two fields deep."""
    chain = "".join(
        f"fragment F{n} on User {{ ...F{n + 1} ...F{n + 1} }}\n" for n in range(fragments)
    )
    return "{ me { ...F0 } }\n" + chain + f"fragment F{fragments} on User {{ name }}\n"


def worst_milliseconds(refuse: Callable[[], object], runs: int = 5) -> float:
    """The fastest of a few runs: the machine is shared, the function's own cost is the floor."""
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        refuse()
        best = min(best, time.perf_counter() - started)
    return best * 1000


def test_the_operations_the_platform_sends_pass_the_defaults() -> None:
    for query in (
        get_introspection_query(descriptions=True),
        get_introspection_query(
            descriptions=True,
            specified_by_url=True,
            directive_is_repeatable=True,
            schema_description=True,
            input_value_deprecation=True,
        ),
        queries.DEEP,
        queries.large(),
        queries.ONE_FETCH,
    ):
        parse_within_limits(query, DEFAULTS)


def test_a_query_longer_than_the_limit_is_refused_before_parsing() -> None:
    error = refusal("{ me { name } }" + " " * DEFAULTS.max_query_length)
    assert code(error) == "MAX_QUERY_LENGTH_EXCEEDED"
    assert f"{DEFAULTS.max_query_length + 15} characters" in str(error)


def test_more_tokens_than_the_limit_are_refused() -> None:
    error = refusal("{ " + "a " * DEFAULTS.max_tokens + "}")
    assert code(error) == "MAX_TOKENS_EXCEEDED"
    assert f"more than {DEFAULTS.max_tokens} tokens" in str(error)


def test_comments_count_as_tokens() -> None:
    comments = "# a comment\n" * DEFAULTS.max_tokens
    assert code(refusal("{ me { name } }\n" + comments)) == "MAX_TOKENS_EXCEEDED"


def test_a_syntax_error_stays_a_syntax_error() -> None:
    with pytest.raises(GraphQLError, match="Syntax Error"):
        parse_within_limits("{ me { name }", DEFAULTS)


def test_an_operation_deeper_than_the_limit_is_refused_with_its_depth() -> None:
    query = "{ a " + "{ a " * 32 + "}" * 33
    error = refusal(query)
    assert code(error) == "MAX_DEPTH_EXCEEDED"
    assert str(error) == "The operation is 33 fields deep; at most 32 are allowed."


def test_depth_through_fragments_counts_the_fields_above_each_spread() -> None:
    chain = "".join(f"fragment F{n} on T {{ a {{ ...F{n + 1} }} }}\n" for n in range(40))
    error = refusal("query Q { ...F0 }\n" + chain + "fragment F40 on T { a }")
    assert code(error) == "MAX_DEPTH_EXCEEDED"
    assert "operation 'Q' is 41 fields deep" in str(error)


def test_nesting_too_deep_for_the_parser_is_a_depth_refusal() -> None:
    error = refusal("{" + "a{" * 300 + "b" + "}" * 301)
    assert code(error) == "MAX_DEPTH_EXCEEDED"
    assert "nests selections or values too deeply" in str(error)


def test_aliases_are_counted_with_fragments_expanded() -> None:
    aliases = " ".join(f"a{n}: name" for n in range(11))
    query = "{ me { ...A ...A ...A ...A ...A ...A ...A ...A ...A ...A } }\n"
    error = refusal(query + f"fragment A on User {{ {aliases} }}")
    assert code(error) == "MAX_ALIASES_EXCEEDED"
    assert "uses 110 aliases" in str(error) and "at most 100" in str(error)


def test_root_fields_over_the_limit_are_refused() -> None:
    query = "{ " + " ".join(f"f{n}" for n in range(51)) + " }"
    error = refusal(query)
    assert code(error) == "MAX_ROOT_FIELDS_EXCEEDED"
    assert "selects 51 root fields" in str(error)


def test_root_fields_count_the_fields_of_fragments_spread_at_the_root() -> None:
    fields = " ".join(f"f{n}" for n in range(30))
    error = refusal(f"{{ ...R ...R }}\nfragment R on Query {{ {fields} }}")
    assert code(error) == "MAX_ROOT_FIELDS_EXCEEDED"
    assert "selects 60 root fields" in str(error)


def test_too_many_directives_on_one_selection_are_refused() -> None:
    error = refusal("{ me @a @b @c @d @e @f @g @h @i @j @k { name } }")
    assert code(error) == "MAX_DIRECTIVES_EXCEEDED"
    assert "has 11 directives; at most 10" in str(error)


def test_a_fragment_bomb_is_measured_at_its_expanded_size() -> None:
    error = refusal(fragment_bomb(30))
    assert code(error) == "MAX_FIELDS_EXCEEDED"
    assert f"selects {2**30 + 1} fields" in str(error)  # me, and 2^30 names


def test_a_bomb_beyond_machine_sizes_still_gets_a_readable_message() -> None:
    error = refusal(fragment_bomb(1000), LONG_QUERIES_AND_TOKENS)
    assert code(error) == "MAX_FIELDS_EXCEEDED"
    assert "more than 10^18 fields" in str(error)


def test_circular_fragments_are_refused() -> None:
    error = refusal("{ me { ...A } }\nfragment A on User { ...B }\nfragment B on User { ...A }")
    assert code(error) == "GRAPHQL_VALIDATION_FAILED"
    assert str(error) == "Cannot spread fragment 'A' within itself via 'B'."
    assert str(refusal("{ me { ...A } }\nfragment A on User { name ...A }")) == (
        "Cannot spread fragment 'A' within itself."
    )


def test_an_unknown_fragment_is_left_to_validation() -> None:
    document = parse_within_limits("{ me { ...Missing } }", DEFAULTS)
    assert len(document.definitions) == 1


def test_a_second_fragment_of_the_same_name_is_refused_not_ignored() -> None:
    query = "{ me { ...A } }\nfragment A on User { name }\n" + "fragment A on User { ...A }"
    error = refusal(query)
    assert code(error) == "GRAPHQL_VALIDATION_FAILED"
    assert "only one fragment named 'A'" in str(error)


def test_a_fragment_no_operation_uses_is_measured_too() -> None:
    # Validation reports it unused, but walks it first: it must not be a bomb either.
    error = refusal("{ me { name } }\n" + fragment_bomb(30).split("\n", 1)[1])
    assert code(error) == "MAX_FIELDS_EXCEEDED"
    assert "fragment 'F0'" in str(error)


def test_a_chain_of_thousands_of_fragments_does_not_reach_the_recursion_limit() -> None:
    chain = "".join(f"fragment F{n} on T {{ ...F{n + 1} }}\n" for n in range(5000))
    document = parse_within_limits(
        "{ ...F0 }\n" + chain + "fragment F5000 on T { a }", LONG_QUERIES_AND_TOKENS
    )
    assert len(document.definitions) == 5002


# The worst documents we could build that fit the body limit, and the code each must get.
ATTACKS: dict[str, tuple[str, str]] = {
    "fragment bomb, 30 fragments": (fragment_bomb(30), "MAX_FIELDS_EXCEEDED"),
    "fragment bomb, 60 fragments": (fragment_bomb(60), "MAX_FIELDS_EXCEEDED"),
    "fragment cycle": (
        "{ me { ...A } }\nfragment A on User { ...B }\nfragment B on User { ...A }",
        "GRAPHQL_VALIDATION_FAILED",
    ),
    "100k aliases": (
        "{ " + " ".join(f"a{n:x}:f" for n in range(100_000)) + " }",
        "MAX_QUERY_LENGTH_EXCEEDED",
    ),
    "100k repeated fields": ("{ me { " + "name " * 100_000 + "} }", "MAX_QUERY_LENGTH_EXCEEDED"),
    "nested braces to the body limit": (
        "{" + "a{" * (BODY_LIMIT // 2 - 2) + "}",
        "MAX_QUERY_LENGTH_EXCEEDED",
    ),
    "nesting just deeper than the parser reads": (
        "{" + "a{" * 250 + "b" + "}" * 251,
        "MAX_DEPTH_EXCEEDED",
    ),
    "a megabyte of tokens": (
        "{ " + "a " * (BODY_LIMIT // 2 - 2) + "}",
        "MAX_QUERY_LENGTH_EXCEEDED",
    ),
    "the most tokens allowed, all aliases": (
        "{ " + " ".join(f"a{n}: b" for n in range(DEFAULTS.max_tokens // 3 - 1)) + " }",
        "MAX_ALIASES_EXCEEDED",
    ),
}


@pytest.mark.parametrize("name", ATTACKS)
def test_each_attack_is_refused_in_milliseconds(name: str) -> None:
    query, expected = ATTACKS[name]
    assert len(query.encode()) <= BODY_LIMIT
    assert code(refusal(query)) == expected
    milliseconds = worst_milliseconds(lambda: refusal(query))
    print(f"{name}: {milliseconds:.2f} ms")
    assert milliseconds < 50


@pytest.mark.parametrize(
    "query",
    [
        "{ me { " + "name " * (BODY_LIMIT // 5 - 10) + "} }",
        "{ " + " ".join(f"a{n}: me" for n in range(BODY_LIMIT // 12)) + " }",
        "{" + "a{" * (BODY_LIMIT // 2 - 2) + "}",
        "{ me }\n" + "# a comment\n" * (BODY_LIMIT // 12 - 1),
    ],
    ids=["repeated fields", "aliases", "nested braces", "comments"],
)
def test_a_token_flood_of_a_megabyte_is_refused_before_the_parser(query: str) -> None:
    assert len(query.encode()) <= BODY_LIMIT
    assert code(refusal(query, LONG_QUERIES)) == "MAX_TOKENS_EXCEEDED"
    milliseconds = worst_milliseconds(lambda: refusal(query, LONG_QUERIES))
    print(f"{len(query)} characters: {milliseconds:.2f} ms")
    assert milliseconds < 50
