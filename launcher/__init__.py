"""One-command run of the whole platform: every service as its own process."""
