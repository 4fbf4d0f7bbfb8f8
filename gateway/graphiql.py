"""The GraphiQL page: an in-browser IDE on the gateway, every asset served from its own origin.

    GET /graphql (a browser)            ─▶ the page (small, never cached)
    GET /graphiql/assets/<file>?v=<d>   ─▶ React, ReactDOM, GraphiQL (cached for a year)
    the page's fetcher                  ─▶ POST /graphql

The bundles come from the graphene-django-graphiql-static wheel: GraphiQL 2 as a UMD global
(`window.GraphiQL`, with `GraphiQL.createFetcher`) on React 17, so the page mounts it with
`ReactDOM.render` (React 18 would want `createRoot`). Only the wheel's static folder is read,
never its Django modules. `<d>` is a digest of the bundles: a new release changes the URLs,
which is what makes the year-long cache safe.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from importlib import resources

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response

ASSETS_PATH = "/graphiql/assets"
_PACKAGE = "graphene_django_graphiql_static"
_JS = "text/javascript; charset=utf-8"
# The files the page loads, scripts in load order; nothing else in the folder is served.
_ASSETS = {
    "graphiql.min.css": "text/css; charset=utf-8",
    "react.production.min.js": _JS,
    "react-dom.production.min.js": _JS,
    "graphiql.min.js": _JS,
}
_IMMUTABLE = "public, max-age=31536000, immutable"

# The page is at the GraphQL endpoint, so relative URLs reach the assets (and `location.pathname`
# the endpoint) wherever the gateway is mounted.
_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>GraphiQL</title>
{stylesheets}
<style>html, body, #graphiql {{ height: 100%; margin: 0; }}</style>
</head>
<body>
<div id="graphiql">Loading GraphiQL…</div>
<script type="application/json" id="graphiql-options">{options}</script>
{scripts}
<script>
(function () {{
  var options = JSON.parse(document.getElementById("graphiql-options").textContent);
  // The URL fragment carries an initial query (#query=...), since ?query= is GraphQL over GET.
  var fragment = new URLSearchParams(location.hash.slice(1));
  var props = {{
    fetcher: GraphiQL.createFetcher({{ url: location.pathname }}),
    shouldPersistHeaders: false,
    onEditQuery: function (query) {{
      fragment.set("query", query);
      history.replaceState(null, "", "#" + fragment.toString());
    }},
  }};
  if (options.defaultHeaders) {{
    props.defaultHeaders = options.defaultHeaders;
    props.defaultEditorToolsVisibility = "headers";
  }}
  if (fragment.has("query")) props.query = fragment.get("query");
  if (fragment.has("variables")) props.variables = fragment.get("variables");
  ReactDOM.render(React.createElement(GraphiQL, props), document.getElementById("graphiql"));
}})();
</script>
</body>
</html>
"""


class GraphiQL:
    """The page and its assets, read once; `default_headers` prefill the headers editor."""

    def __init__(self, default_headers: Mapping[str, str]) -> None:
        folder = resources.files(_PACKAGE) / "static" / _PACKAGE
        self.assets = {name: (folder / name).read_bytes() for name in _ASSETS}
        digest = hashlib.sha256()
        for content in self.assets.values():
            digest.update(hashlib.sha256(content).digest())
        self.version = digest.hexdigest()[:16]
        self.page_html = self._render(default_headers)

    async def page(self, request: Request) -> Response:
        return HTMLResponse(self.page_html, headers={"cache-control": "no-cache"})

    async def asset(self, request: Request) -> Response:
        name = request.path_params["name"]
        content = self.assets.get(name)
        if content is None:
            return PlainTextResponse("Not Found", status_code=404)
        # Only the URL the page links to is immutable; a bare one may serve another release.
        versioned = request.query_params.get("v") == self.version
        return Response(
            content,
            media_type=_ASSETS[name],
            headers={
                "cache-control": _IMMUTABLE if versioned else "no-cache",
                "x-content-type-options": "nosniff",
            },
        )

    def _render(self, default_headers: Mapping[str, str]) -> str:
        def url(name: str) -> str:
            return f"{ASSETS_PATH.lstrip('/')}/{name}?v={self.version}"

        headers = json.dumps(dict(default_headers), indent=2) if default_headers else None
        options = {"defaultHeaders": headers}
        return _PAGE.format(
            stylesheets="\n".join(
                f'<link rel="stylesheet" href="{url(n)}">' for n in _ASSETS if n.endswith(".css")
            ),
            scripts="\n".join(
                f'<script src="{url(n)}"></script>' for n in _ASSETS if n.endswith(".js")
            ),
            # JSON inside <script>: escape `<` so no value can close the element.
            options=json.dumps(options).replace("<", "\\u003c"),
        )


__all__ = ["ASSETS_PATH", "GraphiQL"]
