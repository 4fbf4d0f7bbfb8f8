"""The mortgage bank example under `CITIZEN_ENV=production`: auth takes registrations only with
the admin credential the launcher hands it, and citizens sign in only through the (stand-in)
eID; the bank registers itself all the same and reads what the citizen shares."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from tests.examples.bank_flow import Platform, applicant, element, redirected, share
from tests.launched import running_platform

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    data_dir = tmp_path_factory.mktemp("mortgage-bank-production").resolve()
    with running_platform(data_dir, CITIZEN_ENV="production") as launcher:
        yield Platform(launcher, data_dir)


def test_the_bank_registers_and_reads_what_was_shared_in_production(platform: Platform) -> None:
    assert platform.registration()["client_id"]
    personal_id, year, total, given, _ = applicant(platform.data_dir)
    with httpx.Client(timeout=30) as http:
        page = redirected(http, share(platform, http, personal_id, ["identity", "income"]))
    assert page.status_code == 200, page.text
    assert re.findall(r'data-category="(\w+)"', page.text) == ["identity", "income"]
    assert element(page.text, "income-year") == str(year)
    assert re.search(rf'id="income-total" data-amount="{re.escape(total)}"', page.text)
    name = element(page.text, "applicant-name")
    assert name is not None and name.startswith(given)
    assert 'id="identity-not-shared"' not in page.text
