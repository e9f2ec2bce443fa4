"""What the social pages share: status cards, the read-only state, paging and answering actions.

The pages call the domain code (obole.posts, obole.accounts.graph) and never
decide on their own who may see or write what. A page of statuses costs a
fixed number of queries: the statuses with their authors (one query), then
the viewer's likes and reposts of the whole page (one more, by
`obole.posts.rendering.statuses`, which renders the API's statuses too).

Every action is a form that POSTs with CSRF and works without JavaScript
(the answer redirects back to `next`); app.js sends the same forms with
fetch and the header `X-Obole-Fragment`, and gets back only the piece of
page to swap in (a status card, a page of cards) or the message to show.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from obole.accounts.models import Account
from obole.api.models import Marker
from obole.lib.errors import UserError, WriteRefused
from obole.membership.permissions import write_refusal
from obole.posts import rendering
from obole.posts.models import Status
from obole.posts.notify import shown_notifications

PAGE_SIZE = 20
UNREAD_LIMIT = 100  # the badge says "99+" past this, as Mastodon's web app does
RELATED = ("account", "reblog_of__account")


@dataclass(frozen=True)
class Card:
    """One status as a card: `row` is what is listed (perhaps a repost), `status` what is shown."""

    row: Status
    favourited: bool
    reblogged: bool
    mine: bool
    poll: dict | None = None  # the Poll entity of what is shown (obole.posts.rendering.poll)
    pinned: bool = False  # the viewer's own post, pinned to their profile (obole.posts.pins)

    @property
    def status(self) -> Status:
        return self.row.reblog_of if self.row.reblog_of_id is not None else self.row

    @property
    def reposted_by(self) -> Account | None:
        return self.row.account if self.row.reblog_of_id is not None else None


def viewer(request: HttpRequest) -> Account | None:
    return request.user if request.user.is_authenticated else None


def cards(rows: list[Status], reader: Account | None) -> list[Card]:
    """Cards for a page of statuses (rows with `account` and `reblog_of__account` selected): one query
    for the viewer's flags, whatever the page's length."""
    rendered = rendering.statuses(rows, reader)
    return [
        Card(
            row=row,
            favourited=bool(entity.get("favourited")),
            reblogged=bool(entity.get("reblogged")),
            mine=reader is not None and _original(row).account_id == reader.pk,
            poll=(entity["reblog"] or entity)["poll"],
            pinned=bool((entity["reblog"] or entity).get("pinned")),
        )
        for row, entity in zip(rows, rendered, strict=True)
    ]


def _original(row: Status) -> Status:
    return row.reblog_of if row.reblog_of_id is not None else row


def refusal(account: Account | None) -> str | None:
    """Why a signed-in account may not write (None if it may, or if nobody is signed in)."""
    if account is None:
        return None
    try:
        return write_refusal(account)
    except ObjectDoesNotExist:  # an account made outside sign-up (createsuperuser) has no membership
        return "Your account is read-only until your membership is paid."


def cursor(request: HttpRequest, name: str = "max_id") -> int | None:
    """A paging id from the query string; a malformed one is a 400, not a 500."""
    value = request.GET.get(name, "").strip()
    if not value:
        return None
    if not value.isascii() or not value.isdigit() or int(value) >= 2**63:
        raise UserError(f"{name} must be an id (a number).", status=400)
    return int(value)


def wants_fragment(request: HttpRequest) -> bool:
    return request.headers.get("X-Obole-Fragment") == "1"


def back(request: HttpRequest, default: str = "/home") -> str:
    """Where the form came from (`next`), if it is a page of this site."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False):
        return target
    return default


def page(view: Callable) -> Callable:
    """Show what services refuse as a page a person can act on, never a 500: a refused write explains
    why with a Pay button (402), a status nobody may see is the 404 page, bad input says what to fix."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except WriteRefused as exc:
            return refused(request, exc.message)
        except UserError as exc:
            if wants_fragment(request):
                return HttpResponse(exc.message, status=exc.status, content_type="text/plain; charset=utf-8")
            if request.method == "POST" and exc.status not in (403, 404):
                messages.error(request, exc.message)
                return redirect(back(request))
            title = {403: "Not allowed", 404: "Not found"}.get(exc.status, "That did not work")
            context = {"status": exc.status, "title": title, "message": exc.message}
            return render(request, "web/social/problem.html", context, status=exc.status)

    return wrapped


def refused(request: HttpRequest, reason: str) -> HttpResponse:
    if wants_fragment(request):
        return HttpResponse(reason, status=402, content_type="text/plain; charset=utf-8")
    return render(request, "web/social/refused.html", {"reason": reason}, status=402)


def unread_count(account: Account) -> int:
    """Shown notifications newer than the member's notifications marker: one query, stopping at
    UNREAD_LIMIT rows (the same count as GET /api/v1/notifications/unread_count)."""
    marker = Marker.objects.filter(account=account, timeline=Marker.Timeline.NOTIFICATIONS).values(
        "last_read_id"
    )
    return shown_notifications(account).filter(id__gt=Coalesce(Subquery(marker), 0))[:UNREAD_LIMIT].count()


def more_url(request: HttpRequest, rows: list, limit: int) -> str | None:
    """The "Load more" link: this page again, older than its last item (None at the end)."""
    if len(rows) < limit:
        return None
    query = request.GET.copy()
    query["max_id"] = str(rows[-1].pk)
    return f"{request.path}?{query.urlencode()}"


def feed(request: HttpRequest, template: str, context: dict, items: list, more: str | None) -> HttpResponse:
    """A page with a list that "Load more" continues; app.js asks for the list alone and appends it."""
    context = {**context, "cards": items, "more_url": more, "can_write": refusal(viewer(request)) is None}
    if wants_fragment(request):
        return render(request, "web/social/feed.html", context)
    return render(request, template, context)
