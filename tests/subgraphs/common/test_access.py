"""The access rule on its own: whose data a verified identity may read, and who may change."""

from __future__ import annotations

from datetime import date

import pytest

from subgraphs.common.access import Identity, acting_citizen, adult_on, is_minor, require_readable
from subgraphs.common.errors import Forbidden, Unauthenticated

TODAY = date(2026, 11, 1)
PARENT = "19800101-0001"
CHILD = "20150301-0001"  # 11 on TODAY
ADULT_CHILD = "20081031-0001"  # turned 18 yesterday
TURNS_18_TOMORROW = "20081102-0001"
STRANGER = "19700101-0002"


@pytest.mark.parametrize(
    ("born", "adult"),
    [
        (date(2008, 11, 1), date(2026, 11, 1)),
        (date(2008, 2, 29), date(2026, 3, 1)),  # 2026 has no 29 February
        (date(2000, 2, 29), date(2018, 3, 1)),
        (date(1996, 2, 29), date(2014, 3, 1)),
    ],
)
def test_adult_on_the_18th_birthday(born: date, adult: date) -> None:
    assert adult_on(born) == adult


def test_29_february_births_are_minors_until_1_march() -> None:
    assert is_minor("20080229-0001", date(2026, 2, 28))
    assert not is_minor("20080229-0001", date(2026, 3, 1))


def test_minors_by_the_birth_date_in_the_personal_id() -> None:
    assert is_minor(CHILD, TODAY)
    assert is_minor(TURNS_18_TOMORROW, TODAY)
    assert not is_minor(ADULT_CHILD, TODAY)
    assert not is_minor("20081101-0001", TODAY)  # 18 today
    assert not is_minor("20271301-0001", TODAY)  # malformed
    assert not is_minor("20270101-0001", TODAY)  # not born yet


def _guardian(*wards: str, **claims: str) -> Identity:
    return Identity(PARENT, guardian_of=frozenset(wards), **{"authority": "self", **claims})


# fmt: off
MAY_READ = [
    # token                                          person             readable
    (Identity(PARENT),                               PARENT,            True),
    (Identity(PARENT),                               CHILD,             False),
    (_guardian(CHILD),                               CHILD,             True),
    (_guardian(TURNS_18_TOMORROW),                   TURNS_18_TOMORROW, True),
    (_guardian(ADULT_CHILD),                         ADULT_CHILD,       False),
    (_guardian(CHILD, consent_id="cns-1"),           CHILD,             False),
    (_guardian(CHILD, authority="sign-in"),          CHILD,             False),
    (Identity(PARENT, consent_id="cns-1"),           PARENT,            True),
    (Identity(PARENT, actor=STRANGER),               PARENT,            True),
    (Identity(PARENT, actor=STRANGER),               STRANGER,          False),
    (_guardian(CHILD, actor=STRANGER),               CHILD,             False),
    (Identity(CHILD, actor=PARENT),                  CHILD,             True),
    (Identity(CHILD, actor=PARENT),                  PARENT,            False),
    (Identity(None),                                 PARENT,            False),
    (Identity(None, guardian_of=frozenset({CHILD})), CHILD,             False),
]
# fmt: on


@pytest.mark.parametrize(("identity", "person", "readable"), MAY_READ)
def test_may_read(identity: Identity, person: str, readable: bool) -> None:
    assert identity.may_read(person, TODAY) is readable
    if readable:
        require_readable(identity, person, TODAY)
    else:
        with pytest.raises(Forbidden) as refused:
            require_readable(identity, person, TODAY)
        assert person not in refused.value.message


def test_readable_people_are_the_subject_and_wards_still_minors() -> None:
    identity = _guardian(CHILD, ADULT_CHILD)
    assert identity.readable_people(TODAY) == [PARENT, CHILD]
    assert Identity(PARENT, consent_id="cns-1", guardian_of=frozenset({CHILD})).readable_people(
        TODAY
    ) == [PARENT]
    assert Identity(None).readable_people(TODAY) == []


def test_only_the_citizens_own_token_acts() -> None:
    assert acting_citizen(_guardian(CHILD)) == PARENT
    with pytest.raises(Unauthenticated):
        acting_citizen(Identity(None))
    for token in (
        Identity(PARENT, actor=STRANGER),
        Identity(PARENT, consent_id="cns-1"),
        Identity(PARENT, authority="sign-in"),
        Identity(PARENT),
    ):
        with pytest.raises(Forbidden):
            acting_citizen(token)
