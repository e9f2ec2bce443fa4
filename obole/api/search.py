"""Search (GET /api/v2/search) and hashtags (GET /api/v1/tags/:name, following them).

As on Mastodon, accounts and hashtags can be searched without a token, and
statuses only with one (without, the statuses list is empty); paging with
`offset` or asking to `resolve` needs a token too (401).

- Accounts: username or display-name prefix (or a word of the display name),
  case-insensitive; the exact username first, then the most followed.
  `@mary` and `mary@this-server` find mary; other servers' accounts are not
  known here (there is no federation).
- Hashtags: tag-name prefix, the exact tag first.
- Statuses: the text contains `q`, case-insensitively, among the statuses the
  viewer may see (obole.posts.access), leaving out reposts, muted accounts,
  and the posts of accounts that opted out of discovery, unless they are the
  viewer's own or mention the viewer. `account_id` narrows to one author.

`icontains` and `istartswith` scan: fine for an embedded server, not for a
large network. On PostgreSQL the next step is a full-text index (a generated
tsvector column with a GIN index, or pg_trgm for substrings) on status text,
and `text_pattern_ops` indexes on lower(username) and tag names.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest, JsonResponse

from obole.accounts.models import Account
from obole.api import entities
from obole.api.endpoints import ApiError, authorize_if_token, endpoint, truthy
from obole.api.pagination import Page, page_of, paged_response, paginate
from obole.lib.snowflake import parse_id
from obole.posts import tag_follows
from obole.posts.models import Status
from obole.posts.search import matching_accounts, matching_statuses, matching_tags

TYPES = ("accounts", "hashtags", "statuses")
MAX_QUERY_LENGTH = 500
# Far past any real result list, and well inside the databases' 64-bit OFFSET.
MAX_OFFSET = 10**9


@endpoint(("GET",))
def search(request: HttpRequest) -> JsonResponse:
    authorize_if_token(request, "read:search")
    data = request.data
    viewer = request.account
    query = _query(data.get("q"))
    kind = data.get("type") or None
    if kind is not None and kind not in TYPES:
        raise ApiError(400, "type must be one of accounts, hashtags, statuses.")
    if viewer is None and data.get("offset") not in (None, ""):
        raise ApiError(401, "Search queries pagination is not supported without authentication")
    if viewer is None and truthy(data.get("resolve")):
        raise ApiError(
            401, "Search queries that resolve remote resources are not supported without authentication"
        )
    page = page_of(request)
    window = slice(_offset(data), _offset(data) + page.limit)
    found: dict[str, list] = {"accounts": [], "statuses": [], "hashtags": []}
    if kind in (None, "accounts"):
        following = truthy(data.get("following"))
        rows = matching_accounts(query, viewer, following=following, host=request.get_host())
        found["accounts"] = entities.accounts(rows[window])
    if kind in (None, "hashtags"):
        tags = tag_follows.with_following(matching_tags(query), viewer)[window]
        found["hashtags"] = [entities.tag(row, following=row.following) for row in tags]
    if kind in (None, "statuses") and viewer is not None:
        rows = list(_statuses(query, viewer, page, data.get("account_id"))[window])
        found["statuses"] = entities.statuses(rows, viewer)
    return JsonResponse(found)


@endpoint(("GET",))
def show_tag(request: HttpRequest, name: str) -> JsonResponse:
    row = tag_follows.find(name, request.account)
    return JsonResponse(entities.tag(row, following=row.following))


@endpoint(("POST",), scope="write:follows", write=True)
def follow_tag(request: HttpRequest, name: str) -> JsonResponse:
    """Follow a hashtag (obole.posts.tag_follows): its public posts come into home."""
    return JsonResponse(entities.tag(tag_follows.follow(request.account, name), following=True))


@endpoint(("POST",), scope="write:follows")
def unfollow_tag(request: HttpRequest, name: str) -> JsonResponse:
    return JsonResponse(entities.tag(tag_follows.unfollow(request.account, name), following=False))


@endpoint(("GET",), scope="read:follows")
def followed_tags(request: HttpRequest) -> JsonResponse:
    """GET /api/v1/followed_tags: newest follow first, paged on the follow (at most 200 a page)."""
    rows = paginate(tag_follows.followed(request.account), page_of(request, default=100, maximum=200))
    return paged_response(
        request, [entities.tag(row.tag, following=True) for row in rows], [row.pk for row in rows]
    )


def _query(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ApiError(400, "q is required: give something to search for.")
    if len(value) > MAX_QUERY_LENGTH:
        raise ApiError(400, f"q is too long (at most {MAX_QUERY_LENGTH} characters).")
    return value.strip()


def _offset(data: dict) -> int:
    value = data.get("offset")
    if value in (None, ""):
        return 0
    try:
        offset = int(str(value))
    except ValueError:
        raise ApiError(400, "offset must be a number.") from None
    if offset < 0:
        raise ApiError(400, "offset must not be negative.")
    if offset > MAX_OFFSET:
        raise ApiError(400, f"offset must be at most {MAX_OFFSET}.")
    return offset


def _statuses(query: str, viewer: Account, page: Page, account_id: object) -> QuerySet[Status]:
    rows = matching_statuses(query, viewer)
    if account_id not in (None, ""):
        author = parse_id(account_id)
        if author is None:
            raise ApiError(400, "account_id must be an id (a number).")
        rows = rows.filter(account_id=author)
    if page.max_id is not None:
        rows = rows.filter(id__lt=page.max_id)
    if page.min_id is not None:
        rows = rows.filter(id__gt=page.min_id)
    return rows
