"""A mortgage bank's web application, as a third-party platform would write it against the
citizen account's published API only (discovery, RFC 7591 registration, the code flow with
PKCE and RFC 9396 authorization details, the gateway's GraphQL API):

    start ─▶ discovery ─▶ registered already? (data dir) ─ no ─▶ RFC 7591 registration
    "Share your data" ─▶ /authorize (PKCE, state, nonce, citizen_data details)
    /callback ─▶ code for tokens ─▶ ID token checked ─▶ me { name income } at the gateway
    "Refresh figures" ─▶ refresh token (rotated) ─▶ read again ─▶ a withdrawn consent said so

It imports nothing of the platform's own code.
"""
