"""Search queries for accounts, hashtags and statuses: the API's /api/v2/search and the web's search page.

- Accounts: username or display-name prefix (or a word of the display name),
  case-insensitive; the exact username first, then the most followed.
  `@mary` and `mary@this-server` find mary; other servers' accounts are not
  known here (there is no federation).
- Hashtags: tag-name prefix, the exact tag first.
- Statuses: the text contains the query, case-insensitively, among the
  statuses the viewer may see (obole.posts.access), leaving out reposts, muted
  accounts, and the posts of accounts that opted out of discovery, unless
  they are the viewer's own or mention the viewer.

`icontains` and `istartswith` scan: see obole.api.search for the next step at scale.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Case, IntegerField, Q, QuerySet, When

from obole.accounts.models import Account, Block, Follow, Mute
from obole.posts.access import visible_statuses
from obole.posts.models import Mention, Status, Tag


def matching_accounts(
    query: str, viewer: Account | None, *, following: bool, host: str | None = None
) -> QuerySet[Account]:
    """Active accounts whose username or display name starts with `query` (or a word of the display
    name does); `host` is the name the request reached this server by, also taken as local."""
    username = local_username(query, host)
    if username is None:
        return Account.objects.none()
    rows = Account.objects.filter(is_active=True).filter(
        Q(username__istartswith=username)
        | Q(display_name__istartswith=username)
        | Q(display_name__icontains=f" {username}")
    )
    if viewer is not None:
        # Accounts that block the viewer stay hidden; those the viewer blocks are found, as on
        # Mastodon, so that a client which looks an account up before acting can unblock it.
        rows = rows.exclude(pk__in=Block.objects.filter(target=viewer).values("account"))
        if following:
            rows = rows.filter(pk__in=Follow.objects.filter(follower=viewer).values("target"))
    exact = Case(When(username__iexact=username, then=0), default=1, output_field=IntegerField())
    return rows.order_by(exact, "-followers_count", "username")


def local_domains(host: str | None = None) -> set[str]:
    """The names this server answers to: its base URL's host (with and without the port), the
    allowed host names, and `host`, the one a request came in by (with and without the port)."""
    here = urlsplit(settings.OBOLE_BASE_URL)
    names = {here.netloc, here.hostname or ""}
    names |= {name for name in settings.ALLOWED_HOSTS if name and name != "*" and not name.startswith(".")}
    if host:
        names |= {host, host.rsplit(":", 1)[0] if not host.endswith("]") else host}
    return {name.lower() for name in names if name}


def local_username(query: str, host: str | None = None) -> str | None:
    """`@mary`, `mary` or `mary@this-server` → "mary"; someone on another server → None."""
    username, _, domain = query.strip().removeprefix("@").partition("@")
    if domain and domain.lower() not in local_domains(host):
        return None
    return username or None


def matching_tags(query: str) -> QuerySet[Tag]:
    name = query.removeprefix("#").lower()
    exact = Case(When(name=name, then=0), default=1, output_field=IntegerField())
    return Tag.objects.filter(name__startswith=name).order_by(exact, "name")


def matching_statuses(query: str, viewer: Account) -> QuerySet[Status]:
    """Statuses whose text contains `query` that `viewer` may see and that are meant to be found
    (their author is discoverable, or they are the viewer's own or mention the viewer), newest first."""
    return (
        visible_statuses(viewer)
        .filter(reblog_of__isnull=True, account__is_active=True, text__icontains=query)
        .filter(
            Q(account=viewer)
            | Q(account__discoverable=True)
            | Q(id__in=Mention.objects.filter(account=viewer).values("status"))
        )
        .exclude(account__in=Mute.objects.filter(account=viewer).values("target"))
        .select_related("account")
        .order_by("-id")
    )
