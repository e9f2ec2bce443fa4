"""Live timelines: Mastodon's streaming API, served by its own process (`obole streaming`)."""
