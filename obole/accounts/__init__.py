"""People: accounts, sign-up and log-in."""
