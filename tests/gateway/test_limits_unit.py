"""The request limits as a pure function (gateway/limits.py): each limit refuses with its own
code and a message naming the measured value and the limit; the operations the platform,
the benchmarks and GraphiQL send pass the defaults; and the worst documents that fit the body
limit are refused in a few milliseconds, measured on the function itself."""

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from graphql import GraphQLError, get_introspection_query, parse
from hypothesis import given, settings
from hypothesis import strategies as st

from bench import queries
from bench.strategies import damaged_requests, valid_requests
from gateway.limits import (
    _TOKEN,
    LimitExceeded,
    RequestLimits,
    check_document,
    outline,
    parse_within_limits,
)
from gateway.operation import prepare
from gateway.pipeline import Gateway
from gateway.settings import GatewaySettings
from tests.gateway.kit.federation import load_topic

DEFAULTS = RequestLimits.from_settings(GatewaySettings())
FUZZ_SCHEMA = Gateway(load_topic("abstract_types").supergraph).api_schema
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


@pytest.mark.parametrize(
    "opening",
    ['"', '"""', '"\\a', '"""\\"""'],
    ids=["string", "block string", "escapes", "escaped block quotes"],
)
def test_an_unterminated_string_costs_a_single_scan(opening: str) -> None:
    """A string that never ends is given up on in one pass over it: the token count must not
    try every way of splitting its characters (30 of them once cost seconds)."""
    query = "{ me(name: " + opening + "a" * (DEFAULTS.max_query_length - 20)

    def read() -> None:
        with pytest.raises(GraphQLError, match="Syntax Error"):
            parse_within_limits(query, DEFAULTS)

    assert worst_milliseconds(read) < 50


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
    "a thousand `name`s": ("{ me { " + "name " * 990 + "} }", "MAX_FIELD_PAIRS_EXCEEDED"),
    "99 times one alias": ("{ me { " + "x: name " * 99 + "} }", "MAX_FIELD_PAIRS_EXCEEDED"),
    "240 `reviews { body }`": (
        "{ me { " + "reviews { body } " * 240 + "} }",
        "MAX_FIELD_PAIRS_EXCEEDED",
    ),
    "30 `reviews` of 30 `body`s": (
        "{ me { " + ("reviews { " + "body " * 30 + "} ") * 30 + "} }",
        "MAX_FIELD_PAIRS_EXCEEDED",
    ),
    "160 inline fragments of one field": (
        "{ me { " + "... on User { name } " * 160 + "} }",
        "MAX_FIELD_PAIRS_EXCEEDED",
    ),
    "110 fragments of distinct fields spread together": (
        "{ me { "
        + " ".join(f"...F{n}" for n in range(110))
        + " } }\n"
        + "".join(f"fragment F{n} on User {{ f{n} }}\n" for n in range(110)),
        "MAX_FIELD_PAIRS_EXCEEDED",
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
    # The bound for any input within the body limit: the outline read from the
    # tokens refuses before graphql-core's parser (some 20 µs a token) runs.
    assert milliseconds < 10


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


# -- pairs of fields sharing a response key (graphql-core's OverlappingFieldsCanBeMerged
# compares each pair; a thousand `name`s took 1.2 s to validate)

API_SCHEMA = Gateway(
    (Path(__file__).parent / "fixtures" / "partial_failure" / "supergraph.graphql").read_text(),
    GatewaySettings(),
).api_schema
# The most fields one key may repeat in a flat selection set at the default: C(20, 2) = 190.
AT_THE_LIMIT = 20


def repeated(selection: str, times: int) -> str:
    return "{ me { " + f"{selection} " * times + "} }"


def fragments_at_one_level(count: int, body: str) -> str:
    spreads = " ".join(f"...F{n}" for n in range(count))
    definitions = "".join(f"fragment F{n} on User {{ {body.format(n=n)} }}\n" for n in range(count))
    return f"{{ me {{ {spreads} }} }}\n{definitions}"


@pytest.mark.parametrize(
    "query",
    [
        repeated("name", AT_THE_LIMIT + 1),
        repeated("x: name", AT_THE_LIMIT + 1),
        repeated("... on User { name }", AT_THE_LIMIT + 1),
        "query A " + repeated("name", 15) + "\nquery B " + repeated("name", 15),
    ],
    ids=["one name", "one alias", "through inline fragments", "summed over the document"],
)
def test_one_response_key_repeated_past_the_limit_is_refused(query: str) -> None:
    error = refusal(query)
    assert code(error) == "MAX_FIELD_PAIRS_EXCEEDED"
    assert "more than 200 pairs" in str(error)


def test_the_message_names_the_repeated_key_and_how_often_it_was_met() -> None:
    assert str(refusal(repeated("name", AT_THE_LIMIT + 1))) == (
        "The operation selects 'name' 21 times at one place, fragments expanded: validation"
        " would compare more than 200 pairs of fields sharing a response key (or of fragments"
        " spread together)."
    )


def test_the_same_key_at_different_places_makes_no_pairs() -> None:
    query = "{ " + " ".join(f"a{n}: me {{ name }}" for n in range(40)) + " }"
    parse_within_limits(query, RequestLimits.from_settings(GatewaySettings(max_root_fields=40)))


def test_sub_selections_of_same_key_fields_are_merged_before_counting() -> None:
    # 14 `reviews` make 91 pairs, and their 14 `body`s, merged, 91 more: 182 pass.
    parse_within_limits(repeated("reviews { body }", 14), DEFAULTS)
    # Six `reviews` of six `body`s: 15 pairs, then 36 `body`s in one merged set: 630.
    error = refusal(repeated("reviews { " + "body " * 6 + "}", 6))
    assert code(error) == "MAX_FIELD_PAIRS_EXCEEDED"
    assert "selects 'body'" in str(error)


def test_fields_of_fragments_spread_at_one_place_are_counted_together() -> None:
    # 15 fragments: 105 pairs of `name`s, and 105 of the fragments themselves.
    parse_within_limits(fragments_at_one_level(14, "name"), DEFAULTS)
    error = refusal(fragments_at_one_level(15, "name"))
    assert code(error) == "MAX_FIELD_PAIRS_EXCEEDED"


def test_fragments_spread_together_count_as_pairs_even_without_shared_keys() -> None:
    # Validation compares every two of them: 21 fragments are 210 comparisons.
    error = refusal(fragments_at_one_level(AT_THE_LIMIT + 1, "f{n}"))
    assert code(error) == "MAX_FIELD_PAIRS_EXCEEDED"
    assert "spreads fragments 21 times at one place" in str(error)
    parse_within_limits(fragments_at_one_level(AT_THE_LIMIT, "f{n}"), DEFAULTS)


def test_a_fragment_meets_the_fragments_spread_beside_it_not_those_it_spreads() -> None:
    # A chain spreads one fragment per level: validation compares no two of them.
    chain = "".join(f"fragment F{n} on User {{ a{n} ...F{n + 1} }}\n" for n in range(45))
    parse_within_limits("{ me { ...F0 } }\n" + chain + "fragment F45 on User { z }", DEFAULTS)


def test_a_fragment_shared_by_many_operations_is_shaped_once() -> None:
    fields = " ".join(f"f{n}" for n in range(300))
    operations = "".join(f"query Q{n} {{ me {{ id ...Big }} }}\n" for n in range(100))
    query = operations + f"fragment Big on User {{ {fields} }}"
    # Over the token and root field limits: the count on its own, at a size they refuse.
    limits = RequestLimits.from_settings(
        GatewaySettings(max_query_length=BODY_LIMIT, max_tokens=10_000, max_root_fields=300)
    )
    parse_within_limits(query, limits)
    # Measured on the parsed document alone: the parse of 1,600 tokens is not what is tested.
    document = parse(query, no_location=True)
    milliseconds = worst_milliseconds(lambda: check_document(document, limits))
    print(f"100 operations spreading one 300-field fragment: {milliseconds:.2f} ms")
    assert milliseconds < 25


def test_the_documents_the_platform_sends_are_far_from_the_pair_limit() -> None:
    tight = RequestLimits.from_settings(GatewaySettings(max_field_pairs=10))
    for query in (
        get_introspection_query(descriptions=True),
        queries.DEEP,
        queries.large(),
        queries.ONE_FETCH,
    ):
        parse_within_limits(query, tight)


# The worst documents we found that pass every limit at its default, each at its limit.
WORST_ACCEPTED: dict[str, str] = {
    "one name, 20 times": repeated("name", AT_THE_LIMIT),
    "one alias, 20 times": repeated("x: name", AT_THE_LIMIT),
    "inline fragments, 20": repeated("... on User { name }", AT_THE_LIMIT),
    "sub-selections merged, 14": repeated("reviews { body }", 14),
    "14 fragments of one key at one level": fragments_at_one_level(14, "name"),
    "20 fragments of distinct keys at one level": fragments_at_one_level(
        AT_THE_LIMIT, "a{n}: name"
    ),
    "fragments within fields, 6 x 2": repeated("reviews { ...R } reviews { ...S }", 6)
    + "\nfragment R on Review { body }\nfragment S on Review { body }",
}


@pytest.mark.parametrize("name", WORST_ACCEPTED)
def test_the_worst_accepted_documents_validate_in_milliseconds(name: str) -> None:
    query = WORST_ACCEPTED[name]
    parse_within_limits(query, DEFAULTS)
    prepare(API_SCHEMA, query, None, DEFAULTS)  # valid: validation ran to its end
    milliseconds = worst_milliseconds(lambda: prepare(API_SCHEMA, query, None, DEFAULTS))
    print(f"{name}: parse, limits and validation {milliseconds:.2f} ms")
    assert milliseconds < 50  # a thousand `name`s took 1,200 ms to validate


# The outline (gateway/limits.py `outline`) refuses early from the tokens alone; it must
# measure exactly what the parsed document measures, or it would refuse what the limits allow.
TIGHT = RequestLimits.from_settings(
    GatewaySettings(
        max_depth=3,
        max_aliases=2,
        max_fields=12,
        max_root_fields=3,
        max_directives=1,
        max_field_pairs=3,
    )
)


def limit_outcome(document: object, limits: RequestLimits) -> str | None:
    try:
        check_document(document, limits)  # type: ignore[arg-type]
    except LimitExceeded as error:
        return str(error)
    return None


def tokens_of(query: str) -> list[str]:
    return [t for t in _TOKEN.findall(query) if t[0] != "#"]


@pytest.mark.parametrize("name", ATTACKS)
def test_the_outline_of_an_attack_measures_what_its_parse_measures(name: str) -> None:
    query, _ = ATTACKS[name]
    tokens = tokens_of(query)
    if len(tokens) > DEFAULTS.max_tokens:
        return  # refused by the count before any outline is read
    early = outline(tokens)
    try:
        parsed = parse(query)
    except GraphQLError:
        return  # what the parser refuses, the outline may measure or leave alone
    assert early is not None
    assert limit_outcome(early, DEFAULTS) == limit_outcome(parsed, DEFAULTS)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.data())
def test_the_outline_of_any_operation_measures_what_its_parse_measures(data: st.DataObject) -> None:
    request = data.draw(
        st.one_of(valid_requests(FUZZ_SCHEMA), damaged_requests(FUZZ_SCHEMA)), label="request"
    )
    try:
        parsed = parse(request.query)
    except GraphQLError:
        return
    early = outline(tokens_of(request.query))
    assert early is not None, request.query
    for limits in (DEFAULTS, TIGHT):
        assert limit_outcome(early, limits) == limit_outcome(parsed, limits), request.query
