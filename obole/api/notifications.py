"""A member's notifications: list, show, dismiss, clear and count the unread.

Notifications are the member's own data: reading needs read:notifications,
dismissing and clearing write:notifications but no paid membership (they
change nothing anyone else sees).

A page is one query (the notifications with their accounts and statuses)
plus the viewer's three status flags. Notifications from accounts the member
has since blocked (or been blocked by) or muted, or that are deactivated, are
left out when read rather than deleted, so unblocking brings them back.
Filters are Mastodon's: types[], exclude_types[] (unknown types are ignored,
as Mastodon does) and account_id.

`GET /api/v2/notifications` (grouped notifications) is not offered: apps
read /api/v1/notifications when the instance does not announce grouping.
"""

from __future__ import annotations

from django.db.models import QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, JsonResponse

from obole.accounts.models import Account
from obole.api import entities
from obole.api.endpoints import ApiError, array_param, endpoint
from obole.api.filters import hidden
from obole.api.models import Marker
from obole.api.pagination import page_of, paged_response, paginate
from obole.lib.errors import NotFound
from obole.lib.snowflake import parse_id
from obole.posts.models import Notification
from obole.posts.notify import shown_notifications

# Mastodon's limits: 40 notifications a page by default, at most 80; unread counts stop at 100 by default.
PAGE_DEFAULT, PAGE_MAX = 40, 80
COUNT_DEFAULT, COUNT_MAX = 100, 1000
_RELATED = ("from_account", "status__account", "status__reblog_of__account")


@endpoint(("GET",), scope="read:notifications")
def index(request: HttpRequest) -> JsonResponse:
    page = page_of(request, default=PAGE_DEFAULT, maximum=PAGE_MAX)
    rows = paginate(_filtered(request).select_related(*_RELATED), page)
    rendered = entities.notifications(rows, request.account)
    # What a "hide" filter matches is left out (obole/api/filters.py); the Link header moves past it.
    shown = [entity for entity in rendered if not ("status" in entity and hidden(entity["status"]))]
    return paged_response(request, shown, [row.pk for row in rows])


@endpoint(("GET",), scope="read:notifications")
def show(request: HttpRequest, notification_id: str) -> JsonResponse:
    row = _own(request.account, notification_id).select_related(*_RELATED).first()
    if row is None:
        raise NotFound("Record not found")
    return JsonResponse(entities.notifications([row], request.account)[0])


@endpoint(("POST",), scope="write:notifications")
def dismiss(request: HttpRequest, notification_id: str) -> JsonResponse:
    deleted, _ = _own(request.account, notification_id).delete()
    if not deleted:
        raise NotFound("Record not found")
    return JsonResponse({})


@endpoint(("POST",), scope="write:notifications")
def clear(request: HttpRequest) -> JsonResponse:
    Notification.objects.filter(recipient=request.account).delete()
    return JsonResponse({})


@endpoint(("GET",), scope="read:notifications")
def unread_count(request: HttpRequest) -> JsonResponse:
    """Notifications newer than the member's notifications marker (all, without one), up to `limit`."""
    limit = page_of(request, default=COUNT_DEFAULT, maximum=COUNT_MAX).limit
    marker = Marker.objects.filter(account=request.account, timeline=Marker.Timeline.NOTIFICATIONS).values(
        "last_read_id"
    )
    # One query: the marker is a subquery, and the count stops at `limit` rows.
    unread = _filtered(request).filter(id__gt=Coalesce(Subquery(marker), 0))
    return JsonResponse({"count": unread[:limit].count()})


def _filtered(request: HttpRequest) -> QuerySet[Notification]:
    """The member's notifications that are shown, narrowed by types[], exclude_types[] and account_id."""
    viewer = request.account
    rows = shown_notifications(viewer)
    types = array_param(request, "types")
    if types:
        rows = rows.filter(type__in=types)
    excluded = array_param(request, "exclude_types")
    if excluded:
        rows = rows.exclude(type__in=excluded)
    account_id = request.data.get("account_id")
    if account_id not in (None, ""):
        rows = rows.filter(from_account_id=_id(account_id, "account_id"))
    return rows


def _own(viewer: Account, notification_id: str) -> QuerySet[Notification]:
    """The viewer's notification with this id, as a query (empty for anyone else's, or a malformed id)."""
    pk = parse_id(notification_id)
    if pk is None:
        return Notification.objects.none()
    return Notification.objects.filter(pk=pk, recipient=viewer, from_account__is_active=True)


def _id(value: object, name: str) -> int:
    number = parse_id(value)
    if number is None:
        raise ApiError(400, f"{name} must be an id (a number).")
    return number
