"""The GraphiQL page: an in-browser IDE on the gateway, every asset served from its own origin,
and, when the gateway names an issuer and a client, a "Sign in" that sends the caller's token;
with `GATEWAY_GRAPHIQL_GUIDE_URL`, a "Developer guide" link above the editor.

    GET /graphql (a browser)            ─▶ the page (small, never cached)
    GET /graphiql/assets/<file>?v=<d>   ─▶ React, ReactDOM, GraphiQL, our scripts (cached a year)
    the page's fetcher                  ─▶ POST /graphql  (+ Authorization: Bearer, signed in)
    sign-in, in a popup window          ─▶ <issuer>/authorize ─▶ GET /graphql/signin/callback
    the page, from its own origin       ─▶ <issuer>'s discovery and token endpoint (CORS)

The bundles come from the graphene-django-graphiql-static wheel: GraphiQL 2 as a UMD global
(`window.GraphiQL`, with `GraphiQL.createFetcher`) on React 17, so the page mounts it with
`ReactDOM.render` (React 18 would want `createRoot`). Only the wheel's static folder is read,
never its Django modules. Our own scripts are in `graphiql_assets/` (`signin.js` explains the
flow). `<d>` is a digest of every asset: a new release changes the URLs, which is what makes the
year-long cache safe.

Both pages carry a Content-Security-Policy: scripts from this origin only (no inline script),
and connections to this origin and, with sign-in, the issuer's origin, where the page reads
discovery and redeems codes. The access token lives in the page's memory only.
"""

from __future__ import annotations

import hashlib
import html
import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response

from gateway.settings import GatewaySettings

ASSETS_PATH = "/graphiql/assets"
CALLBACK_PATH = "/graphql/signin/callback"
_WHEEL = "graphene_django_graphiql_static"
_CSS = "text/css; charset=utf-8"
_JS = "text/javascript; charset=utf-8"
# Every file served, with the package folder it is read from; nothing else there is served.
_ASSETS = {
    "graphiql.min.css": (_WHEEL, f"static/{_WHEEL}", _CSS),
    "react.production.min.js": (_WHEEL, f"static/{_WHEEL}", _JS),
    "react-dom.production.min.js": (_WHEEL, f"static/{_WHEEL}", _JS),
    "graphiql.min.js": (_WHEEL, f"static/{_WHEEL}", _JS),
    "signin.js": ("gateway", "graphiql_assets", _JS),
    "page.js": ("gateway", "graphiql_assets", _JS),
    "signin-callback.js": ("gateway", "graphiql_assets", _JS),
}
# The page's scripts in load order; signin.js only when sign-in is configured.
_LIBRARIES = ("react.production.min.js", "react-dom.production.min.js", "graphiql.min.js")
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
<style>
html, body {{ height: 100%; margin: 0; }}
body {{ display: flex; flex-direction: column; }}
#graphiql {{ flex: 1; min-height: 0; }}
.signin {{ display: flex; flex-wrap: wrap; gap: 12px; align-items: center; padding: 6px 16px;
  font: 14px/1.4 system-ui, sans-serif; border-bottom: 1px solid #d0d4d9; }}
.signin [role="alert"] {{ color: #b00020; }}
.signin button, .signin select {{ font: inherit; }}
.links {{ padding: 6px 16px; font: 14px/1.4 system-ui, sans-serif;
  border-bottom: 1px solid #d0d4d9; }}
</style>
</head>
<body>
{guide}<div id="graphiql">Loading GraphiQL…</div>
<script type="application/json" id="graphiql-options">{options}</script>
{scripts}
</body>
</html>
"""

# The sign-in window's last page: its script hands the answer to the page that opened it.
_CALLBACK = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Signing in…</title>
</head>
<body>
<p id="message">Signing in…</p>
<script src="{script}"></script>
</body>
</html>
"""


@dataclass(frozen=True)
class SignIn:
    """Where GraphiQL signs in: the issuer (discovery at `<issuer>/.well-known/...`), the
    first-party public client it is there, and the scope it asks for."""

    issuer: str
    client_id: str
    scope: str

    @property
    def issuer_origin(self) -> str:
        parts = urlsplit(self.issuer)
        return f"{parts.scheme}://{parts.netloc}"


def sign_in_from(settings: GatewaySettings) -> SignIn | None:
    if settings.issuer is None or settings.graphiql_client_id is None:
        return None
    return SignIn(settings.issuer, settings.graphiql_client_id, settings.graphiql_scope)


def _policy(connect: str) -> str:
    # CodeMirror positions its elements with style attributes, hence 'unsafe-inline' for
    # styles only; GraphiQL's fonts are data: URLs inside its stylesheet.
    return (
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        f"img-src 'self' data:; font-src 'self' data:; connect-src {connect}; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


class GraphiQL:
    """The page and its assets, read once; `default_headers` prefill the headers editor."""

    def __init__(
        self,
        default_headers: Mapping[str, str],
        sign_in: SignIn | None = None,
        guide_url: str | None = None,
    ) -> None:
        self.assets = {
            name: (resources.files(package) / folder / name).read_bytes()
            for name, (package, folder, _) in _ASSETS.items()
        }
        digest = hashlib.sha256()
        for content in self.assets.values():
            digest.update(hashlib.sha256(content).digest())
        self.version = digest.hexdigest()[:16]
        self.sign_in = sign_in
        self.page_html = self._render(default_headers, guide_url)
        connect = "'self'" if sign_in is None else f"'self' {sign_in.issuer_origin}"
        self.page_headers = {
            "cache-control": "no-cache",
            "content-security-policy": _policy(connect),
            "x-content-type-options": "nosniff",
        }
        # The callback's address holds a code: it is in no Referer and no cache.
        self.callback_html = _CALLBACK.format(script=self._url("signin-callback.js", "../../"))
        self.callback_headers = {
            "cache-control": "no-store",
            "content-security-policy": _policy("'none'"),
            "referrer-policy": "no-referrer",
            "x-content-type-options": "nosniff",
        }

    async def page(self, request: Request) -> Response:
        return HTMLResponse(self.page_html, headers=self.page_headers)

    async def callback(self, request: Request) -> Response:
        return HTMLResponse(self.callback_html, headers=self.callback_headers)

    async def asset(self, request: Request) -> Response:
        name = request.path_params["name"]
        content = self.assets.get(name)
        if content is None:
            return PlainTextResponse("Not Found", status_code=404)
        # Only the URL the page links to is immutable; a bare one may serve another release.
        versioned = request.query_params.get("v") == self.version
        return Response(
            content,
            media_type=_ASSETS[name][2],
            headers={
                "cache-control": _IMMUTABLE if versioned else "no-cache",
                "x-content-type-options": "nosniff",
            },
        )

    def _url(self, name: str, up: str = "") -> str:
        return f"{up}{ASSETS_PATH.lstrip('/')}/{name}?v={self.version}"

    def _render(self, default_headers: Mapping[str, str], guide_url: str | None) -> str:
        headers = json.dumps(dict(default_headers), indent=2) if default_headers else None
        options: dict[str, object] = {"defaultHeaders": headers}
        scripts = list(_LIBRARIES)
        if self.sign_in is not None:
            options["signIn"] = {
                "issuer": self.sign_in.issuer,
                "clientId": self.sign_in.client_id,
                "scope": self.sign_in.scope,
                # Relative to the page, as the assets are.
                "callback": CALLBACK_PATH.lstrip("/"),
            }
            scripts.append("signin.js")
        scripts.append("page.js")
        # A plain link, written by the server: it needs no script and no change to the policy.
        guide = (
            f'<nav class="links" aria-label="Documentation"><a href="{html.escape(guide_url)}">'
            "Developer guide</a></nav>\n"
            if guide_url
            else ""
        )
        return _PAGE.format(
            guide=guide,
            stylesheets="\n".join(
                f'<link rel="stylesheet" href="{self._url(n)}">'
                for n, (_, _, media_type) in _ASSETS.items()
                if media_type == _CSS
            ),
            scripts="\n".join(f'<script src="{self._url(n)}"></script>' for n in scripts),
            # JSON inside <script>: escape `<` so no value can close the element.
            options=json.dumps(options).replace("<", "\\u003c"),
        )


__all__ = ["ASSETS_PATH", "CALLBACK_PATH", "GraphiQL", "SignIn", "sign_in_from"]
