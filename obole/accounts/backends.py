"""Log-in with the username or, as Mastodon apps do with the password grant, the email address."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from obole.accounts.models import Account


class UsernameOrEmailBackend(ModelBackend):
    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs
    ) -> Account | None:
        if username and "@" in username:
            # Email addresses are not unique; only one that names exactly one account logs in.
            matches = list(Account.objects.filter(email__iexact=username)[:2])
            if len(matches) == 1:
                username = matches[0].username
        return super().authenticate(request, username=username, password=password, **kwargs)
