"""The developer guide page: a Markdown file (`GATEWAY_GUIDE_FILE`) rendered once at start and
served as HTML at `GET /guide`, so GraphiQL can link to it wherever the gateway runs.

The file is the operator's, yet the page is held to GraphiQL's rigour all the same: raw HTML
in the Markdown is escaped rather than passed through, and the Content-Security-Policy allows
no script, no connection, no frame and only the page's own stylesheet (by its hash).
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from pathlib import Path

from markdown_it import MarkdownIt
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from gateway.errors import ConfigurationError

GUIDE_PATH = "/guide"

_STYLE = """
body { max-width: 60rem; margin: 0 auto; padding: 1rem 1.5rem 4rem;
  font: 16px/1.5 system-ui, sans-serif; color: #1b1f24; }
a { color: #0b57d0; }
a:focus-visible { outline: 3px solid #0b57d0; outline-offset: 2px; }
code, pre { font: 14px/1.45 ui-monospace, monospace; background: #f3f4f6; }
code { padding: 0 0.2em; }
pre { padding: 0.75rem 1rem; overflow-x: auto; }
pre code { padding: 0; }
table { border-collapse: collapse; display: block; overflow-x: auto; }
th, td { border: 1px solid #d0d4d9; padding: 0.3rem 0.6rem; text-align: left;
  vertical-align: top; }
"""
_STYLE_HASH = base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()
_POLICY = (
    f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{style}</style>
</head>
<body>
<main>
{body}</main>
</body>
</html>
"""
# Markers and notes for whoever edits the file (`<!-- categories:start -->`); with raw HTML
# escaped they would otherwise show up as text.
_COMMENT = re.compile(r"^<!--.*?-->[ \t]*\n?", re.S | re.M)


class Guide:
    """The page, rendered from `path` once; the file is not read again."""

    def __init__(self, path: Path) -> None:
        try:
            markdown = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise ConfigurationError(f"GATEWAY_GUIDE_FILE: cannot read {path}: {error}") from None
        renderer = MarkdownIt("commonmark", {"html": False}).enable("table")
        heading = re.search(r"^# (.+)$", markdown, re.M)
        self.html = _PAGE.format(
            title=html.escape(heading.group(1) if heading else path.stem),
            style=_STYLE,
            body=renderer.render(_COMMENT.sub("", markdown)),
        )
        self.headers = {
            "cache-control": "no-cache",
            "content-security-policy": _POLICY,
            "referrer-policy": "no-referrer",
            "x-content-type-options": "nosniff",
        }

    async def page(self, request: Request) -> Response:
        return HTMLResponse(self.html, headers=self.headers)


__all__ = ["GUIDE_PATH", "Guide"]
