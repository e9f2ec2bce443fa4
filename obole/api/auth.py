"""Bearer tokens: resolve the token and the account once per request.

Tokens are issued by django-oauth-toolkit and stored only as a SHA-256
checksum (RFC 9700), so the lookup hashes what the client sent.

Every authenticated API call runs `find_token`, so it is one query written
out in SQL (building it with the ORM cost three times as long as running it).
The query runs on every request: a revoked token, a deactivated account, a
lapsed membership or a changed profile shows on the very next request,
whichever process serves it. What is kept is only the work after it: turning
the row into model instances cost as much as the query, so each process keeps
the instances made from the last row read for a token, and when the same token
reads exactly the same row again, hands out fresh copies of them instead.
"""

from __future__ import annotations

import functools
import hashlib

from django.http import HttpRequest
from django.utils import timezone
from oauth2_provider.models import AccessToken

from obole.accounts.models import Account
from obole.lib import rawrows
from obole.lib.bounded import Bounded
from obole.membership.models import Membership

# Mastodon's scope families: a token with "read" may do everything "read:*" may.
_FAMILIES = ("read", "write", "follow", "push", "admin")
# The old "follow" scope covers these, as in Mastodon, on top of its own name.
FOLLOW_SCOPES = frozenset(
    ("read:follows", "read:blocks", "read:mutes", "write:follows", "write:blocks", "write:mutes")
)


def bearer_token(request: HttpRequest) -> str | None:
    # From META rather than request.headers, which builds a dictionary of every header first.
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


# Tokens whose last row read is kept per process, with the instances made from it.
RESOLVED_TOKENS = 20_000  # about 4 kB each
_resolved = Bounded(RESOLVED_TOKENS)


def find_token(raw: str) -> AccessToken | None:
    """The live token for `raw`, with its user; None if unknown, revoked or expired."""
    checksum = hashlib.sha256(raw.encode()).hexdigest()
    with rawrows.prepared_cursor() as cursor:
        cursor.execute(_token_sql(), [checksum])
        found = cursor.fetchone()
    if found is None:
        return None
    known = _resolved.get(checksum)
    if known is None or known[0] != found:
        known = (found, *_instances(found))
        _resolved.put(checksum, known)
    _, token, account, membership = known
    if token.expires <= timezone.now():
        return None
    if not account.is_active:
        return None  # deactivated by staff (or deleted): every token stops at once
    # Copies: a request may change its account (a post counts itself), never the kept ones.
    token, account = rawrows.copy(token), rawrows.copy(account)
    if membership is not None:
        account.membership = rawrows.copy(membership)
    token.user = account
    return token


def _instances(found: tuple) -> tuple[AccessToken, Account, Membership | None]:
    token = rawrows.instance(AccessToken, found[: rawrows.width(AccessToken)])
    account = rawrows.instance(Account, found[rawrows.width(AccessToken) : -rawrows.width(Membership)])
    membership = found[-rawrows.width(Membership) :]
    if all(value is None for value in membership):  # one made by createsuperuser has none
        return token, account, None
    return token, account, rawrows.instance(Membership, membership)


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
