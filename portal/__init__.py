"""The citizen portal: a server-rendered web app (a backend for frontend) that signs the citizen
in at the auth server and reads and writes only through the gateway's public GraphQL API."""
