"""Profiles: an account's page with its posts, its followers and follows, and follow, block and mute.

Following needs a paid membership (obole.accounts.graph checks it);
unfollowing, blocking and muting protect the member and never do.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from obole.accounts import graph
from obole.accounts.models import Account, Block, Follow, Mute
from obole.lib.errors import NotFound
from obole.posts.access import statuses_of
from obole.posts.pins import pinned_first
from obole.web.social import (
    PAGE_SIZE,
    RELATED,
    back,
    cards,
    cursor,
    feed,
    more_url,
    page,
    refusal,
    refused,
    viewer,
)

PEOPLE_PAGE = 40
ACTIONS = {
    "follow": (graph.follow, "You follow @{}."),
    "unfollow": (graph.unfollow, "You no longer follow @{}."),
    "block": (graph.block, "You blocked @{}."),
    "unblock": (graph.unblock, "You unblocked @{}."),
    "mute": (graph.mute, "You muted @{}."),
    "unmute": (graph.unmute, "You unmuted @{}."),
}


def account_named(username: str) -> Account:
    """An active account by username (any case); NotFound otherwise."""
    found = Account.objects.filter(username__iexact=username, is_active=True).first()
    if found is None:
        raise NotFound("Record not found")
    return found


@page
def profile(request: HttpRequest, username: str) -> HttpResponse:
    """The account and the posts the viewer may see of it, newest first (none if either blocks the other)."""
    target = account_named(username)
    reader = viewer(request)
    shown = statuses_of(reader, target).select_related(*RELATED)
    max_id = cursor(request)
    rows = shown.filter(id__lt=max_id) if max_id is not None else shown
    found = list(rows.order_by("-id")[:PAGE_SIZE])
    # Pinned posts head the first page, as on Mastodon; their cards are made with the page's.
    pinned = pinned_first(shown, target) if max_id is None else []
    made = cards([*pinned, *found], reader)
    context = {"target": target, "tab": "posts", "pinned": made[: len(pinned)]}
    context.update(relationship(reader, target))
    return feed(
        request, "web/social/profile.html", context, made[len(pinned) :], more_url(request, found, PAGE_SIZE)
    )


def relationship(reader: Account | None, target: Account) -> dict:
    """The viewer's follow, block and mute of `target`, for the buttons (one query)."""
    if reader is None or reader.pk == target.pk:
        return {"me": reader is not None}
    flags = (
        Account.objects.filter(pk=target.pk)
        .annotate(
            following=Exists(Follow.objects.filter(follower=reader, target=OuterRef("pk"))),
            blocking=Exists(Block.objects.filter(account=reader, target=OuterRef("pk"))),
            muting=Exists(Mute.objects.filter(account=reader, target=OuterRef("pk"))),
        )
        .values("following", "blocking", "muting")
        .get()
    )
    return {"me": False, "can_write": refusal(reader) is None, **flags}


@page
def people(request: HttpRequest, username: str, *, followers: bool) -> HttpResponse:
    """Followers or follows, newest follow first, paged on the Follow row (one query a page)."""
    target = account_named(username)
    reader = viewer(request)
    found: list[Follow] = []
    # An account that blocks the viewer does not show them whom it knows.
    if reader is None or not target.blocks.filter(target=reader).exists():
        if followers:
            rows = Follow.objects.filter(target=target, follower__is_active=True).select_related("follower")
        else:
            rows = Follow.objects.filter(follower=target, target__is_active=True).select_related("target")
        max_id = cursor(request)
        if max_id is not None:
            rows = rows.filter(id__lt=max_id)
        found = list(rows.order_by("-id")[:PEOPLE_PAGE])
    context = {
        "target": target,
        "tab": "followers" if followers else "following",
        "people": [row.follower if followers else row.target for row in found],
        "more_url": more_url(request, found, PEOPLE_PAGE),
        **relationship(reader, target),
    }
    return render(request, "web/social/people.html", context)


def followers(request: HttpRequest, username: str) -> HttpResponse:
    return people(request, username, followers=True)


def following(request: HttpRequest, username: str) -> HttpResponse:
    return people(request, username, followers=False)


@login_required
@require_POST
@page
def act(request: HttpRequest, username: str, action: str) -> HttpResponse:
    """Follow, unfollow, block, unblock, mute or unmute; app.js gets the updated buttons back."""
    target = account_named(username)
    reader = request.user
    change, done = ACTIONS[action]
    if action == "follow":
        reason = refusal(reader)  # also covers an account without a membership row (createsuperuser)
        if reason is not None:
            return refused(request, reason)
    change(reader, target)
    if request.headers.get("X-Obole-Fragment") == "1":
        target.refresh_from_db()
        context = {"target": target, **relationship(reader, target), "announce": done.format(target.username)}
        return render(request, "web/social/relationship.html", context)
    messages.success(request, done.format(target.username))
    return redirect(back(request, reverse("profile", args=[target.username])))
