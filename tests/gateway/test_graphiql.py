"""The GraphiQL page: served to browsers at GET /graphql with its assets from the gateway itself
(no CDN), switched off by a setting; its sign-in configuration and callback page, present only
when an issuer and a client are set; and in headless Chromium, a query run from the page.
The whole sign-in in a browser is tests/trust_chain/test_graphiql_signin.py."""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from gateway.http import create_app
from gateway.settings import GatewaySettings, load_settings
from tests.browser import Browser
from tests.gateway.fixtures.operations import data
from tests.gateway.kit.federation import load_topic, start_federation

SUPERGRAPH = load_topic("operations").supergraph
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
ASSETS = {
    "graphiql.min.css": "text/css",
    "react.production.min.js": "text/javascript",
    "react-dom.production.min.js": "text/javascript",
    "graphiql.min.js": "text/javascript",
    "page.js": "text/javascript",
}
ISSUER = "https://auth.example:8443"
SIGN_IN = {
    "issuer": ISSUER,
    "audience": "citizen-account",
    "revocation_required": False,
    "graphiql_client_id": "graphiql",
    "graphiql_scope": "openid identity:read",
}


@contextlib.asynccontextmanager
async def _client(**settings: object) -> AsyncIterator[httpx.AsyncClient]:
    # The page is off in production (the default env) unless turned on, as here.
    settings = {"graphiql": True, **settings}
    app = create_app(SUPERGRAPH, settings=GatewaySettings(**settings))  # type: ignore[arg-type]
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://gateway") as client,
    ):
        yield client


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with _client() as client:
        yield client


def _asset_urls(page: str, up: str = "") -> list[str]:
    """The page's script and stylesheet URLs, each relative to the page (no CDN, no absolute
    URL: whatever origin and path the gateway is served at)."""
    urls = re.findall(r'(?:src|href)="([^"]*)"', page)
    prefix = up + "graphiql/assets/"
    assert all(url.startswith(prefix) for url in urls), urls
    return [url.removeprefix(prefix) for url in urls]


def _options(page: str) -> dict[str, object]:
    options = page.split('<script type="application/json" id="graphiql-options">')[1]
    parsed: dict[str, object] = json.loads(options.split("</script>")[0])
    return parsed


def _policy(response: httpx.Response) -> dict[str, str]:
    directives = response.headers["content-security-policy"].split(";")
    return dict(d.strip().partition(" ")[::2] for d in directives)


async def test_a_browser_gets_the_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", headers={"accept": BROWSER_ACCEPT})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache"
    page = response.text
    assert '<div id="graphiql">' in page
    # Every script and stylesheet comes from the gateway, in load order, versioned; without
    # an issuer and a client there is no sign-in, in the options or as a script.
    assert [url.split("?v=")[0] for url in _asset_urls(page)] == list(ASSETS)
    assert "signIn" not in _options(page)
    # No inline script may run, nothing but the gateway may be reached.
    policy = _policy(response)
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self'"
    assert policy["connect-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert "<script>" not in page


@pytest.mark.parametrize(
    "accept",
    [
        "application/json",
        "application/graphql-response+json, application/json;q=0.9",
        "*/*",
        "",
        "text/html;q=0.5, application/json",
        "application/json, text/html",  # a tie goes to JSON
    ],
)
async def test_a_program_gets_graphql(client: httpx.AsyncClient, accept: str) -> None:
    response = await client.get("/graphql", headers={"accept": accept})
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == "The request has no query."


async def test_a_query_over_get_is_graphql_even_from_a_browser(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/graphql", params={"query": "{ __typename }"}, headers={"accept": BROWSER_ACCEPT}
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_post_is_graphql_even_from_a_browser(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"accept": BROWSER_ACCEPT}
    )
    assert response.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize(("name", "media_type"), ASSETS.items())
async def test_assets_are_served_with_their_type_and_a_long_cache(
    client: httpx.AsyncClient, name: str, media_type: str
) -> None:
    page = (await client.get("/graphql", headers={"accept": BROWSER_ACCEPT})).text
    (url,) = [u for u in _asset_urls(page) if u.startswith(name + "?")]
    response = await client.get(f"/graphiql/assets/{url}")
    assert response.status_code == 200
    assert response.headers["content-type"] == f"{media_type}; charset=utf-8"
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert len(response.content) > 1_000
    # Without the page's version the URL may outlive this release: no long cache.
    bare = await client.get(f"/graphiql/assets/{name}")
    assert bare.status_code == 200 and bare.headers["cache-control"] == "no-cache"


@pytest.mark.parametrize(
    "name", ["style.css", "fetch.umd.js", "views.py", "..%2F..%2F__init__.py", "nothing.js"]
)
async def test_only_the_pages_assets_are_served(client: httpx.AsyncClient, name: str) -> None:
    assert (await client.get(f"/graphiql/assets/{name}")).status_code == 404


async def test_the_bundles_are_graphiql_2_on_react_17() -> None:
    """The page mounts with ReactDOM.render and the `GraphiQL` UMD global: a new release of the
    assets package that changes either must change the page too."""
    async with _client() as client:
        react = (await client.get("/graphiql/assets/react-dom.production.min.js")).text
        graphiql = (await client.get("/graphiql/assets/graphiql.min.js")).text
    assert "@license React v17." in react[:200]
    assert "window.GraphiQL=" in graphiql and "GraphiQL.createFetcher=" in graphiql


async def test_default_headers_are_passed_to_the_page() -> None:
    headers = {"authorization": "", "x-note": "</script><script>alert(1)</script>"}
    async with _client(graphiql_default_headers=headers) as client:
        page = (await client.get("/graphql", headers={"accept": BROWSER_ACCEPT})).text
    assert json.loads(str(_options(page)["defaultHeaders"])) == headers


async def test_with_an_issuer_and_a_client_the_page_signs_in() -> None:
    async with _client(**SIGN_IN) as client:
        response = await client.get("/graphql", headers={"accept": BROWSER_ACCEPT})
    page = response.text
    assert _options(page)["signIn"] == {
        "issuer": ISSUER,
        "clientId": "graphiql",
        "scope": "openid identity:read",
        "callback": "graphql/signin/callback",  # relative to the page: /graphql/signin/callback
    }
    # The sign-in script comes before the page's, from the gateway like every other.
    names = [url.split("?v=")[0] for url in _asset_urls(page)]
    assert [n for n in names if n.endswith(".js")][-2:] == ["signin.js", "page.js"]
    # The page may reach the issuer (discovery, token endpoint), and nothing else.
    assert _policy(response)["connect-src"] == f"'self' {ISSUER}"


@pytest.mark.parametrize(
    "settings",
    [
        {k: v for k, v in SIGN_IN.items() if k != "graphiql_client_id"},
        {"graphiql_client_id": "graphiql"},  # no issuer to sign in at
    ],
    ids=["no client id", "no issuer"],
)
async def test_without_an_issuer_or_a_client_there_is_no_sign_in(
    settings: dict[str, object],
) -> None:
    async with _client(**settings) as client:
        response = await client.get("/graphql", headers={"accept": BROWSER_ACCEPT})
        callback = await client.get("/graphql/signin/callback", headers={"accept": BROWSER_ACCEPT})
    assert "signIn" not in _options(response.text)
    assert "signin.js" not in response.text
    assert _policy(response)["connect-src"] == "'self'"
    assert callback.status_code == 404


async def test_the_callback_page_hands_the_answer_back() -> None:
    """The redirect URI: a page whose one script (from the gateway) passes the code on; the
    code in its address goes to no cache and in no Referer."""
    async with _client(**SIGN_IN) as client:
        response = await client.get("/graphql/signin/callback", params={"code": "c", "state": "s"})
        (script,) = _asset_urls(response.text, up="../../")
        asset = await client.get(f"/graphiql/assets/{script}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    policy = _policy(response)
    assert policy["script-src"] == "'self'" and policy["connect-src"] == "'none'"
    assert script.startswith("signin-callback.js?v=")
    assert asset.status_code == 200 and "BroadcastChannel" in asset.text


async def test_our_scripts_name_no_other_origin() -> None:
    """No CDN: the only absolute URLs in our scripts are the OAuth URNs they speak."""
    async with _client(**SIGN_IN) as client:
        for name in ("page.js", "signin.js", "signin-callback.js"):
            text = (await client.get(f"/graphiql/assets/{name}")).text
            assert not re.search(r"\b(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text), name


@pytest.mark.parametrize(
    ("settings", "error"),
    [
        ({**SIGN_IN, "graphiql_scope": "identity:read"}, "must include openid"),
        ({**SIGN_IN, "issuer": "urn:example:issuer", "jwks_url": "http://k"}, "http(s)"),
    ],
)
def test_sign_in_settings_that_cannot_work_stop_the_start(
    settings: dict[str, object], error: str
) -> None:
    with pytest.raises(SystemExit, match=re.escape(error)):
        load_settings(**settings)


async def test_switched_off() -> None:
    async with _client(graphiql=False) as client:
        response = await client.get("/graphql", headers={"accept": BROWSER_ACCEPT})
        assert response.status_code == 400
        assert response.headers["content-type"] == "application/json"
        assert (await client.get("/graphiql/assets/graphiql.min.js")).status_code == 404


@pytest.mark.slow
async def test_run_a_query_in_chromium(chromium: str, tmp_path: Path) -> None:
    """Open the page, let GraphiQL load the schema, run a query joined from two subgraphs with
    the headers the settings prefill, and read the result pane; no sign-in is configured."""
    data.reset()
    settings = {
        "graphiql": True,
        "introspection": True,  # the page reads the schema
        "graphiql_default_headers": {"x-tenant": "demo"},
        "propagate_headers": ["x-tenant"],
    }
    query = '{ item(id: "1") { name stars } }'
    shots = Path(os.environ.get("GATEWAY_SCREENSHOTS", tmp_path))
    with start_federation(load_topic("operations"), settings) as fed:
        async with Browser(chromium, tmp_path / "chromium-profile", (1400, 900)) as page:
            await page.navigate(f"{fed.gateway.url}#query={quote(query)}")
            await page.wait_for(
                "document.querySelector('.graphiql-query-editor .CodeMirror') !== null"
            )
            editor = await page.evaluate(
                "document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.getValue()"
            )
            assert editor == query
            headers = await page.evaluate(
                "[...document.querySelectorAll('.graphiql-editor-tool .CodeMirror')]"
                ".map(e => e.CodeMirror.getValue()).join('\\n')"
            )
            assert json.loads(headers) == {"x-tenant": "demo"}
            await page.evaluate("document.querySelector('.graphiql-execute-button').click()")
            await page.wait_for(
                "document.querySelector('.graphiql-response .CodeMirror')"
                ".CodeMirror.getValue().includes('stars')"
            )
            result = await page.evaluate(
                "document.querySelector('.graphiql-response .CodeMirror').CodeMirror.getValue()"
            )
            await page.screenshot(shots / "graphiql.png")
            # Without sign-in, no script error and nothing the page's policy had to block.
            assert await page.errors() == []
            assert await page.evaluate("document.querySelector('.signin')") is None
            # Nothing came from anywhere but the gateway; GraphiQL asked it for the schema too.
            resources = await page.evaluate(
                "performance.getEntriesByType('resource').map(e => e.name)"
            )
    assert json.loads(result) == {"data": {"item": {"name": "apple", "stars": 4}}}
    assert all(url.startswith(fed.gateway.base_url + "/") for url in resources), resources
    assert sum(url == fed.gateway.url for url in resources) >= 2  # introspection, the query
    # The prefilled header went with the query, on to both subgraphs.
    store, ratings = fed.subgraphs["store"], fed.subgraphs["ratings"]
    assert store.root_requests() and ratings.entity_requests()
    assert {h.get("x-tenant") for h in store.headers + ratings.headers} == {"demo"}
