"""What the bank makes of the gateway's answer: the figures, and which categories came back
refused because the citizen did not share them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from examples.mortgage_bank.figures import GatewayUnavailable, ReadRefused, parse
from examples.mortgage_bank.oauth import granted_categories

REFUSED = {
    "message": "The caller is not authorized to access this field.",
    "extensions": {"code": "UNAUTHORIZED_FIELD_OR_TYPE"},
}


def test_a_category_the_citizen_did_not_share_is_named_and_the_rest_read() -> None:
    body = {
        "data": {
            "me": {
                "name": None,
                "income": {
                    "year": 2025,
                    "total": "51200.50",
                    "bySource": [
                        {"source": "SALARY", "payer": "Acme Oy", "amount": "50000.00"},
                        {"source": "CAPITAL", "payer": "Bank", "amount": "1200.50"},
                    ],
                },
            }
        },
        "errors": [{**REFUSED, "path": ["me", "name"]}],
    }
    figures = parse(body, 10.0)
    assert figures.not_shared == {"identity"}
    assert figures.given_name is None and figures.family_name is None
    assert figures.income is not None and figures.income.total == Decimal("51200.50")
    assert [item.amount for item in figures.income.items] == [
        Decimal("50000.00"),
        Decimal("1200.50"),
    ]
    assert figures.read_at == 10.0


def test_an_income_the_tax_agency_does_not_hold_is_not_a_refusal() -> None:
    body = {
        "data": {"me": {"name": {"given": "Aino", "family": "Laine"}, "income": None}},
        "errors": [{**REFUSED, "path": ["me", "name", "given"], "extensions": {"code": "OTHER"}}],
    }
    figures = parse(body, 0.0)
    assert figures.not_shared == frozenset() and figures.income is None
    assert (figures.given_name, figures.family_name) == ("Aino", "Laine")


def test_no_applicant_at_all_is_not_shown_as_figures() -> None:
    with pytest.raises(GatewayUnavailable):
        parse({"data": {"me": None}}, 0.0)
    with pytest.raises(GatewayUnavailable):
        parse({"data": {"me": {"income": {"year": 2025, "total": "lots"}}}}, 0.0)


def test_a_revoked_token_is_told_from_other_refusals() -> None:
    assert ReadRefused('Bearer error="invalid_token" the token has been revoked').revoked
    assert not ReadRefused('Bearer error="invalid_token" the token has expired').revoked


def test_the_granted_categories_are_those_of_the_token_response() -> None:
    details = [
        {"type": "citizen_data", "datatypes": ["income"], "actions": ["read"]},
        {"type": "other", "datatypes": ["identity"]},
        {"type": "citizen_data", "datatypes": ["income", "identity"]},
    ]
    assert granted_categories(details) == ("income", "identity")
    assert granted_categories(None) == ()
