"""The HTTP API: Obole's membership endpoints (and, later, Mastodon's client API)."""
