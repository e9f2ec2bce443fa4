"""Pages that list statuses or notifications: home, a hashtag, search, notifications.

Each page is a fixed number of queries, whatever its length (tests assert it):
the page's rows in one query with what they show (authors, reposted
originals), then one for the viewer's likes and reposts of the whole page.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from obole.accounts.models import Account
from obole.api.models import Marker
from obole.lib.errors import UserError
from obole.posts.models import Status
from obole.posts.notify import shown_notifications
from obole.posts.public import public_statuses, tagged
from obole.posts.search import matching_accounts, matching_statuses, matching_tags
from obole.posts.timelines import home_statuses, store
from obole.web.compose_media import SLOTS
from obole.web.social import (
    PAGE_SIZE,
    cards,
    cursor,
    feed,
    more_url,
    page,
    refusal,
    viewer,
    wants_fragment,
)

NOTIFICATIONS_PAGE = 40
SEARCH_MAX_LENGTH = 500
SEARCH_PEOPLE, SEARCH_TAGS = 8, 8


@login_required
@page
def home(request: HttpRequest) -> HttpResponse:
    """The home timeline, in the TimelineStore's order and paging, as the API's home.

    With `since_id` (and X-Obole-Fragment), the posts newer than that one: what live.js puts at the
    top of the page when the streaming server says a post has arrived."""
    reader = request.user
    since_id = cursor(request, "since_id")
    ids = store().page(reader.pk, max_id=cursor(request), since_id=since_id, limit=PAGE_SIZE)
    found = home_statuses(reader, ids)
    rows = [found[pk] for pk in ids if pk in found]
    # "Load more" follows the store's page, so a page of deleted statuses does not end the walk.
    more = None
    if len(ids) == PAGE_SIZE and since_id is None:
        query = request.GET.copy()
        query["max_id"] = str(ids[-1])
        more = f"{request.path}?{query.urlencode()}"
    live = {"stream_url": f"{settings.OBOLE_STREAMING_URL}/api/v1/streaming?stream=user"}
    return feed(request, "web/social/home.html", compose_context(reader, **live), cards(rows, reader), more)


def compose_context(reader: Account, *, reply_to: Status | None = None, text: str = "", **extra) -> dict:
    """What the compose box needs: the reason it is hidden if the member may not write, else its fields."""
    mentions = ""
    if reply_to is not None and not text:
        names = [reply_to.account.username, *(m["username"] for m in reply_to.mentions)]
        wanted = [name for name in dict.fromkeys(names) if name.lower() != reader.username.lower()]
        mentions = "".join(f"@{name} " for name in wanted)
    return {
        "refusal": refusal(reader),
        "max_chars": settings.OBOLE_MAX_STATUS_CHARS,
        "picture_slots": SLOTS,
        "reply_to": reply_to,
        "text": text or mentions,
        "visibility": extra.pop("visibility", None) or _default_visibility(reader, reply_to),
        **extra,
    }


def _default_visibility(reader: Account, reply_to: Status | None) -> str:
    default = reader.default_visibility or "public"
    if reply_to is None:
        return default
    # A reply is never more open than what it answers, as Mastodon's composer does.
    order = ["public", "unlisted", "private", "direct"]
    return max(default, reply_to.visibility, key=order.index)


@page
def tag(request: HttpRequest, name: str) -> HttpResponse:
    """Public statuses tagged #name, newest first; readable by anyone."""
    reader = viewer(request)
    name = name.removeprefix("#").lower()
    rows = public_statuses(reader).filter(id__in=tagged([name]))
    max_id = cursor(request)
    if max_id is not None:
        rows = rows.filter(id__lt=max_id)
    found = list(rows.order_by("-id")[:PAGE_SIZE])
    more = more_url(request, found, PAGE_SIZE)
    return feed(request, "web/social/tag.html", {"tag": name}, cards(found, reader), more)


@page
def search(request: HttpRequest) -> HttpResponse:
    """People, hashtags and posts matching `q` (posts only for someone signed in, as Mastodon)."""
    reader = viewer(request)
    query = request.GET.get("q", "").strip()
    if len(query) > SEARCH_MAX_LENGTH:
        raise UserError(f"Search for at most {SEARCH_MAX_LENGTH} characters.", status=400)
    context: dict = {"q": query, "people": [], "hashtags": [], "searched": bool(query)}
    found: list[Status] = []
    if query:
        max_id = cursor(request)
        if max_id is None:
            context["people"] = list(
                matching_accounts(query, reader, following=False, host=request.get_host())[:SEARCH_PEOPLE]
            )
            context["hashtags"] = list(matching_tags(query)[:SEARCH_TAGS])
        if reader is not None:
            rows = matching_statuses(query, reader)
            if max_id is not None:
                rows = rows.filter(id__lt=max_id)
            found = list(rows[:PAGE_SIZE])
    more = more_url(request, found, PAGE_SIZE)
    return feed(request, "web/social/search.html", context, cards(found, reader), more)


@login_required
@page
def notifications(request: HttpRequest) -> HttpResponse:
    """The member's notifications, newest first; opening the first page marks them read."""
    reader = request.user
    rows = shown_notifications(reader).select_related(
        "from_account", "status__account", "status__reblog_of__account"
    )
    max_id = cursor(request)
    if max_id is not None:
        rows = rows.filter(id__lt=max_id)
    found = list(rows.order_by("-id")[:NOTIFICATIONS_PAGE])
    if max_id is None and found:
        mark_read(reader, found[0].pk)
    context = {"notifications": found, "more_url": more_url(request, found, NOTIFICATIONS_PAGE)}
    fragment = "web/social/notification_list.html"
    return render(request, fragment if wants_fragment(request) else "web/social/notifications.html", context)


def mark_read(account: Account, newest_id: int) -> None:
    """Move the notifications marker (which Mastodon apps read too) forward to `newest_id`; never back."""
    now = timezone.now()
    moved = Marker.objects.filter(
        account=account, timeline=Marker.Timeline.NOTIFICATIONS, last_read_id__lt=newest_id
    ).update(last_read_id=newest_id, version=F("version") + 1, updated_at=now)
    if moved:
        return
    try:
        with transaction.atomic():
            Marker.objects.get_or_create(
                account=account,
                timeline=Marker.Timeline.NOTIFICATIONS,
                defaults={"last_read_id": newest_id, "updated_at": now},
            )
    except IntegrityError:
        pass  # another tab made it at the same moment
