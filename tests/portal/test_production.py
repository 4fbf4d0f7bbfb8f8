"""The portal in the production profile (`CITIZEN_ENV=production make run`): citizens sign in
only through the eID (here the launcher's stand-in), and the portal works the same."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from subgraphs.seed import demo_personal_id
from tests.launched import HOST, Launcher, running_platform
from tests.portal.browser import Browser, text_of

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Launcher, Path]]:
    data_dir = tmp_path_factory.mktemp("portal-production").resolve()
    with running_platform(data_dir, CITIZEN_ENV="production") as launcher:
        yield launcher, data_dir


def test_signing_in_through_the_eid_and_out_again(production: tuple[Launcher, Path]) -> None:
    launcher, data_dir = production
    browser = Browser(launcher)
    try:
        first = browser.get("/signin")
        assert first.url.port == launcher.service("eid").port, "not the eID's sign-in"
        overview = browser.sign_in(str(demo_personal_id(data_dir)))
        assert overview.url.host == HOST and overview.url.path == "/"
        assert "A child was born" in text_of(overview.text)
        assert 'id="signout"' in overview.text
        out = browser.submit("/", "/signout")
        assert "You are signed out." in text_of(out.text)
        assert browser.get("/information").url.port != launcher.service("portal").port
    finally:
        browser.close()
