"""A third-party platform's side of the code flow, end to end, on the standard library alone.

    1. discovery: the auth server's endpoints
    2. the authorization URL: PKCE (S256), state and RFC 9396 authorization_details
       asking for the categories given (identity and income by default), opened in a browser
       or printed
    3. the citizen signs in and ticks what they allow; the auth server sends the browser back
       to a one-shot receiver on the registered redirect URI (127.0.0.1)
    4. the code for tokens at the token endpoint (HTTP Basic client authentication)
    5. the gateway, with the access token: what the citizen allowed, and nothing else

`make run` registers this platform and prints the command with its client id and secret.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import http.server
import json
import secrets
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import webbrowser
from typing import Any

# Nullable fields only: one the citizen did not allow comes back null on its own, where a
# refused non-null field (`personalId`) would null all of `me`.
QUERY = """{
  me {
    name { given family }
    income { year total }
  }
}"""


def call(url: str, body: bytes | None = None, **headers: str) -> Any:
    """GET (or POST `body`) and read the JSON answer; an HTTP error ends the walk."""
    request = urllib.request.Request(url, data=body, headers={"accept": "application/json"})
    for name, value in headers.items():
        request.add_header(name.replace("_", "-"), value)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.load(answer)
    except urllib.error.HTTPError as error:
        raise SystemExit(f"{url} answered HTTP {error.code}: {error.read().decode()}") from None


def authorization_url(endpoint: str, args: argparse.Namespace, state: str, challenge: str) -> str:
    details = [
        {
            "type": "citizen_data",
            "datatypes": args.categories.split(","),
            "actions": ["read"],
            "purpose": args.purpose,
            "recurrence": "one_time",
        }
    ]
    query = {
        "response_type": "code",
        "client_id": args.client_id,
        "redirect_uri": args.redirect_uri,
        # No `openid`: the platform reads data, it does not sign the citizen in to itself
        # (that would mean checking an ID token's signature, beyond the standard library).
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "authorization_details": json.dumps(details),
    }
    return endpoint + "?" + urllib.parse.urlencode(query)


class RedirectReceiver(http.server.HTTPServer):
    """Listens at the redirect URI until the browser comes back to it once."""

    def __init__(self, redirect_uri: str) -> None:
        parts = urllib.parse.urlsplit(redirect_uri)
        self.redirect_uri = redirect_uri
        self.path = parts.path
        self.received: dict[str, str] = {}
        super().__init__((parts.hostname or "127.0.0.1", parts.port or 80), _Handler)
        self.timeout = 1

    def wait(self, seconds: float) -> dict[str, str]:
        """The query parameters the browser came back with."""
        deadline = time.monotonic() + seconds
        while not self.received and time.monotonic() < deadline:
            self.handle_request()
        if not self.received:
            raise SystemExit(f"nobody came back to {self.redirect_uri} within {seconds:.0f} s")
        return self.received


class _Handler(http.server.BaseHTTPRequestHandler):
    server: RedirectReceiver

    def do_GET(self) -> None:
        parts = urllib.parse.urlsplit(self.path)
        if parts.path != self.server.path:
            self.send_error(404)
            return
        self.server.received.update(urllib.parse.parse_qsl(parts.query))
        self.send_response(200)
        self.send_header("content-type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(b"<p>Back at the demo platform: you can close this window.</p>")

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the terminal shows the flow, not an access log


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--auth", default="http://127.0.0.1:4001", help="the auth server")
    parser.add_argument("--gateway", default="http://127.0.0.1:4000/graphql")
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--client-secret", required=True)
    parser.add_argument("--redirect-uri", default="http://127.0.0.1:4003/callback")
    parser.add_argument("--categories", default="identity,income")
    parser.add_argument("--purpose", default="Demo: show who you are and your income")
    parser.add_argument("--no-browser", action="store_true", help="only print the URL")
    parser.add_argument("--timeout", type=float, default=300, help="seconds to wait for you")
    args = parser.parse_args(argv)

    metadata = call(args.auth.rstrip("/") + "/.well-known/openid-configuration")
    verifier = secrets.token_urlsafe(64)
    digest = hashlib.sha256(verifier.encode()).digest()
    challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    state = secrets.token_urlsafe(16)
    url = authorization_url(metadata["authorization_endpoint"], args, state, challenge)

    # Listening before the URL is shown: the browser may come back at once.
    with RedirectReceiver(args.redirect_uri) as receiver:
        print(f"authorization URL: {url}", flush=True)
        if not args.no_browser:
            webbrowser.open(url)
        print(f"waiting for the browser at {args.redirect_uri} ...", flush=True)
        answer = receiver.wait(args.timeout)
    if answer.get("state") != state:
        raise SystemExit("the state that came back is not the one sent: refused")
    if "error" in answer:
        print(f"no consent: {answer['error']} {answer.get('error_description', '')}".rstrip())
        return 1

    # RFC 6749 §2.3.1: the id and the secret are form-urlencoded inside the Basic header.
    credentials = ":".join(
        urllib.parse.quote(v, safe="") for v in (args.client_id, args.client_secret)
    )
    form = {
        "grant_type": "authorization_code",
        "code": answer["code"],
        "redirect_uri": args.redirect_uri,
        "code_verifier": verifier,
    }
    tokens = call(
        metadata["token_endpoint"],
        urllib.parse.urlencode(form).encode(),
        authorization="Basic " + base64.b64encode(credentials.encode()).decode(),
        content_type="application/x-www-form-urlencoded",
    )
    granted = [d["datatypes"] for d in tokens.get("authorization_details", [])]
    print(f"token: scope {tokens['scope']!r}, categories {granted}", flush=True)

    result = call(
        args.gateway,
        json.dumps({"query": QUERY}).encode(),
        authorization=f"Bearer {tokens['access_token']}",
        content_type="application/json",
    )
    print("gateway answered:")
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
