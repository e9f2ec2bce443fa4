"""Bearer tokens: resolve the token and the account once per request.

Tokens are issued by django-oauth-toolkit and stored only as a SHA-256
checksum (RFC 9700), so the lookup hashes what the client sent.

Every authenticated API call runs `find_token`, so it is one query written
out in SQL (building it with the ORM cost three times as long as running it).
It is not cached: a revoked token, a deactivated account or a lapsed
membership shows on the very next request, whichever process serves it.
"""

from __future__ import annotations

import functools
import hashlib

from django.http import HttpRequest
from django.utils import timezone
from oauth2_provider.models import AccessToken

from obole.accounts.models import Account
from obole.lib import rawrows
from obole.membership.models import Membership

# Mastodon's scope families: a token with "read" may do everything "read:*" may.
_FAMILIES = ("read", "write", "follow", "push", "admin")
# The old "follow" scope covers these, as in Mastodon, on top of its own name.
FOLLOW_SCOPES = frozenset(
    ("read:follows", "read:blocks", "read:mutes", "write:follows", "write:blocks", "write:mutes")
)


def bearer_token(request: HttpRequest) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def find_token(raw: str) -> AccessToken | None:
    """The live token for `raw`, with its user; None if unknown, revoked or expired."""
    checksum = hashlib.sha256(raw.encode()).hexdigest()
    with rawrows.prepared_cursor() as cursor:
        cursor.execute(_token_sql(), [checksum])
        found = cursor.fetchone()
    if found is None:
        return None
    token = rawrows.instance(AccessToken, found[: rawrows.width(AccessToken)])
    if token.expires <= timezone.now():
        return None
    user = found[rawrows.width(AccessToken) : -rawrows.width(Membership)]
    account = rawrows.instance(Account, user)
    if not account.is_active:
        return None  # deactivated by staff (or deleted): every token stops at once
    membership = found[-rawrows.width(Membership) :]
    if any(value is not None for value in membership):  # one made by createsuperuser has none
        account.membership = rawrows.instance(Membership, membership)
    token.user = account
    return token


@functools.cache
def _token_sql() -> str:
    """The token with its account (a token without one is an app's: not found) and membership."""
    return (
        f"SELECT {rawrows.columns(AccessToken, 't')}, {rawrows.columns(Account, 'a')}, "  # noqa: S608
        f"{rawrows.columns(Membership, 'm')} FROM {AccessToken._meta.db_table} t "
        f"JOIN {Account._meta.db_table} a ON a.id = t.user_id "
        f"LEFT JOIN {Membership._meta.db_table} m ON m.account_id = a.id "
        "WHERE t.token_checksum = %s"
    )


def find_app_token(raw: str) -> AccessToken | None:
    """The live token for `raw` with its application, whether or not it has a user.

    Tokens from the client_credentials grant belong to an app, not an account:
    they may register accounts and verify the app, and nothing else, so
    `find_token` (every account endpoint's lookup) keeps ignoring them.
    """
    checksum = hashlib.sha256(raw.encode()).hexdigest()
    found = AccessToken.objects.select_related("application", "user").filter(token_checksum=checksum)[:1]
    token = next(iter(found), None)
    if token is None or token.expires <= timezone.now() or token.application is None:
        return None
    if token.user is not None and not token.user.is_active:
        return None
    return token


def grants(token_scopes: str, required: str) -> bool:
    """Whether a token's scopes cover `required` (e.g. "write:accounts" or "write")."""
    held = set(token_scopes.split())
    if required in held:
        return True
    family = required.split(":", 1)[0]
    if family in _FAMILIES and family in held:
        return True
    return required in FOLLOW_SCOPES and "follow" in held
