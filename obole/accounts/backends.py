"""Log-in with the username or, as Mastodon apps do with the password grant, the email address."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from obole.accounts.models import Account

# The longest thing that names an account: an e-mail address (its column's width).
_LONGEST_NAME = Account._meta.get_field("email").max_length


class UsernameOrEmailBackend(ModelBackend):
    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs
    ) -> Account | None:
        if username and len(username) > _LONGEST_NAME:
            return None  # no account has it; SQLite's LIKE would refuse to even look for it
        if username and "@" in username:
            # Email addresses are not unique; only one that names exactly one account logs in.
            matches = list(Account.objects.filter(email__iexact=username)[:2])
            if len(matches) == 1:
                username = matches[0].username
        return super().authenticate(request, username=username, password=password, **kwargs)
