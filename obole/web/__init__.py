"""Web pages, and the `serve` command that runs them."""
