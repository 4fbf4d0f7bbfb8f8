"""Examples of what is built on the citizen account's published API (each keeps to that API)."""
