"""The developer guide: GraphiQL's "Developer guide" link (GATEWAY_GRAPHIQL_GUIDE_URL) and the
guide itself as HTML at /guide (GATEWAY_GUIDE_FILE), each off unless configured."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import re
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest
from pydantic import ValidationError

from gateway.errors import ConfigurationError
from gateway.http import create_app
from gateway.settings import GatewaySettings
from tests.gateway.kit.federation import load_topic

SUPERGRAPH = load_topic("operations").supergraph
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
GUIDE = Path(__file__).resolve().parents[2] / "docs" / "platforms.md"


@contextlib.asynccontextmanager
async def _client(**settings: object) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(SUPERGRAPH, settings=GatewaySettings(graphiql=True, **settings))  # type: ignore[arg-type]
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as client,
    ):
        yield client


async def _graphiql(client: httpx.AsyncClient) -> httpx.Response:
    response = await client.get("/graphql", headers={"accept": BROWSER_ACCEPT})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    return response


def _guide_link(page: str) -> str | None:
    links = re.findall(r'<a href="([^"]*)">Developer guide</a>', page)
    assert len(links) <= 1
    return links[0] if links else None


async def test_graphiql_links_to_the_guide_the_gateway_serves() -> None:
    async with _client(graphiql_guide_url="/guide", guide_file=GUIDE) as client:
        graphiql = await _graphiql(client)
        link = _guide_link(graphiql.text)
        assert link == "/guide"
        guide = await client.get(urljoin(str(graphiql.url), link))
    assert guide.status_code == 200
    assert guide.headers["content-type"] == "text/html; charset=utf-8"
    page = guide.text
    title = GUIDE.read_text().splitlines()[0].removeprefix("# ")
    assert f"<h1>{title}</h1>" in page
    # The generated tables and the error codes are rendered as tables, not Markdown text.
    assert "<td><code>Citizen.income</code></td>" in page
    assert "<td><code>UNAUTHORIZED_FIELD_OR_TYPE</code></td>" in page
    # The markers of the generated block are for editors of the file, not for readers.
    assert "categories:start" not in page


async def test_the_guide_page_allows_no_script_and_only_its_own_style() -> None:
    async with _client(guide_file=GUIDE) as client:
        guide = await client.get("/guide")
    policy = dict(
        directive.strip().partition(" ")[::2]
        for directive in guide.headers["content-security-policy"].split(";")
    )
    assert policy["default-src"] == "'none'"
    assert "script-src" not in policy and "connect-src" not in policy
    assert policy["frame-ancestors"] == "'none'" and policy["base-uri"] == "'none'"
    (style,) = re.findall(r"<style>(.*?)</style>", guide.text, re.S)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert policy["style-src"] == f"'sha256-{digest}'"
    assert "<script" not in guide.text and " style=" not in guide.text
    assert guide.headers["x-content-type-options"] == "nosniff"


async def test_raw_html_in_the_markdown_is_shown_as_text(tmp_path: Path) -> None:
    guide_file = tmp_path / "guide.md"
    guide_file.write_text(
        "# A guide\n\n<!-- a note for editors -->\n<script>alert(1)</script>\n\n"
        '<img src=x onerror="alert(2)">\n'
    )
    async with _client(guide_file=guide_file) as client:
        page = (await client.get("/guide")).text
    assert "<script" not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "a note for editors" not in page


async def test_without_settings_there_is_neither_link_nor_page() -> None:
    async with _client() as client:
        assert _guide_link((await _graphiql(client)).text) is None
        assert (await client.get("/guide")).status_code == 404


async def test_the_link_may_point_elsewhere_and_is_escaped() -> None:
    url = 'https://docs.example/guide?a=1&b="x"'
    async with _client(graphiql_guide_url=url) as client:
        page = (await _graphiql(client)).text
        assert (await client.get("/guide")).status_code == 404
    assert _guide_link(page) == "https://docs.example/guide?a=1&amp;b=&quot;x&quot;"


def test_a_link_that_is_not_http_or_a_path_stops_the_start() -> None:
    with pytest.raises(ValidationError, match="graphiql_guide_url"):
        GatewaySettings(graphiql_guide_url="javascript:alert(1)")


def test_a_guide_file_that_cannot_be_read_stops_the_start(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"^GATEWAY_GUIDE_FILE: cannot read"):
        create_app(SUPERGRAPH, settings=GatewaySettings(guide_file=tmp_path / "missing.md"))
