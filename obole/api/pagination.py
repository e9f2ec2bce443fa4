"""Mastodon's pagination: max_id, since_id, min_id and limit, answered with a Link header.

- `max_id`: items older than it (the next page down);
- `since_id`: items newer than it, newest first (a gap may remain);
- `min_id`: the items just above it, oldest of them first taken, returned newest first;
- `limit`: how many, at most 40 (80 for account lists).
The Link header names the next page (`max_id` = the oldest id on this page) and
the previous one (`min_id` = the newest), on the same URL with the same filters.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from obole.api.endpoints import ApiError, json_response
from obole.lib.snowflake import MAX_ID


@dataclass(frozen=True)
class Page:
    max_id: int | None
    since_id: int | None
    min_id: int | None
    limit: int


def _id(data: dict, name: str) -> int | None:
    value = data.get(name)
    if value in (None, ""):
        return None
    text = str(value).strip()
    if text.isascii() and text.isdigit():
        # A cursor past every 64-bit id means "everything older" or "nothing newer", not an error.
        return min(int(text), MAX_ID)
    raise ApiError(400, f"{name} must be an id (a number).")


def page_of(request: HttpRequest, *, default: int = 20, maximum: int = 40) -> Page:
    data = request.data
    limit = data.get("limit")
    if limit in (None, ""):
        limit = default
    else:
        try:
            limit = int(str(limit))
        except ValueError:
            raise ApiError(400, "limit must be a number.") from None
    return Page(
        max_id=_id(data, "max_id"),
        since_id=_id(data, "since_id"),
        min_id=_id(data, "min_id"),
        limit=max(1, min(limit, maximum)),
    )


def paginate(queryset: QuerySet, page: Page, field: str = "id") -> list:
    """Apply `page` to a queryset ordered by a time-ordered id `field`; newest first."""
    if page.max_id is not None:
        queryset = queryset.filter(**{f"{field}__lt": page.max_id})
    if page.since_id is not None:
        queryset = queryset.filter(**{f"{field}__gt": page.since_id})
    if page.min_id is not None:
        return list(reversed(queryset.filter(**{f"{field}__gt": page.min_id}).order_by(field)[: page.limit]))
    return list(queryset.order_by(f"-{field}")[: page.limit])


def paged_response(request: HttpRequest, body: list, ids: list[int]) -> HttpResponse:
    """`body` with the Link header for the page whose cursor ids (newest first) are `ids`."""
    response = json_response(body)
    if ids:
        params = [
            (key, value)
            for key, values in request.GET.lists()
            if key not in ("max_id", "since_id", "min_id")
            for value in values
        ]
        base = request.build_absolute_uri(request.path)
        next_url = f"{base}?{urlencode([*params, ('max_id', ids[-1])])}"
        prev_url = f"{base}?{urlencode([*params, ('min_id', ids[0])])}"
        response["Link"] = f'<{next_url}>; rel="next", <{prev_url}>; rel="prev"'
    return response
