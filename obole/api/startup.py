"""What Mastodon apps ask for when they start, beyond the instance and the account.

Obole has no custom emojis, announcements or
trends; it answers those with correct empty lists (checking the token and
scope where Mastodon does), so apps start cleanly instead of showing errors.
Preferences come from the account; markers (the reading position in the home
timeline and the notifications, synced between a member's devices) are kept.
"""

from __future__ import annotations

import re

from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from obole.api.endpoints import ApiError, array_param, endpoint
from obole.api.models import Marker

_ID = re.compile(r"\d{1,19}")
_MAX_ID = 2**63 - 1


def _empty(request: HttpRequest) -> JsonResponse:
    return JsonResponse([], safe=False)


# Public, as on Mastodon.
custom_emojis = endpoint(("GET",))(_empty)
trends = endpoint(("GET",))(_empty)
# A member's own things, behind the scope Mastodon asks for.
announcements = endpoint(("GET",), scope="read")(_empty)


@endpoint(("GET",), scope="read:accounts")
def preferences(request: HttpRequest) -> JsonResponse:
    account = request.account
    return JsonResponse(
        {
            "posting:default:visibility": account.default_visibility,
            "posting:default:sensitive": account.default_sensitive,
            "posting:default:language": account.default_language or None,
            "reading:expand:media": "default",
            "reading:expand:spoilers": False,
            "reading:autoplay:gifs": False,
        }
    )


def _markers(account_id: int, timelines: list[str]) -> JsonResponse:
    found = Marker.objects.filter(account_id=account_id, timeline__in=timelines)
    return JsonResponse({marker.timeline: marker.to_dict() for marker in found})


@endpoint(("GET", "POST"), scope="read:statuses")
def _show_markers(request: HttpRequest) -> JsonResponse:
    asked = array_param(request, "timeline")
    timelines = [name for name in asked if name in Marker.Timeline.values] or list(Marker.Timeline.values)
    return _markers(request.account.pk, timelines)


def _last_read_id(data: dict, timeline: str) -> int | None:
    """home[last_read_id] from a form or a query, or {"home": {"last_read_id": ...}} from JSON."""
    nested = data.get(timeline)
    value = nested.get("last_read_id") if isinstance(nested, dict) else data.get(f"{timeline}[last_read_id]")
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not _ID.fullmatch(value) or int(value) > _MAX_ID:
        raise ApiError(422, f"{timeline}[last_read_id]: give the id of a status or notification.")
    return int(value)


def _save_marker(account_id: int, timeline: str, last_read_id: int) -> None:
    """Move one marker forward (or create it); `version` counts the changes, as in Mastodon."""
    now = timezone.now()
    changes = {"last_read_id": last_read_id, "updated_at": now}
    moved = Marker.objects.filter(account_id=account_id, timeline=timeline)
    if moved.update(**changes, version=F("version") + 1):
        return
    try:
        with transaction.atomic():
            Marker.objects.create(account_id=account_id, timeline=timeline, **changes)
    except IntegrityError:  # another device created it just now
        moved.update(**changes, version=F("version") + 1)


@endpoint(("POST",), scope="write:statuses")
def _save_markers(request: HttpRequest) -> JsonResponse:
    wanted = {name: _last_read_id(request.data, name) for name in Marker.Timeline.values}
    wanted = {name: value for name, value in wanted.items() if value is not None}
    if not wanted:
        raise ApiError(422, "Send home[last_read_id] or notifications[last_read_id].")
    with transaction.atomic():
        for timeline, last_read_id in wanted.items():
            _save_marker(request.account.pk, timeline, last_read_id)
    return _markers(request.account.pk, list(wanted))


@csrf_exempt
def markers(request: HttpRequest) -> HttpResponse:
    """GET reads with read:statuses; POST saves with write:statuses (a private write: no 402)."""
    return (_save_markers if request.method == "POST" else _show_markers)(request)
