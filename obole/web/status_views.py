"""A post's page with its thread, and the forms that write: post, reply, like, repost, pin, delete.

Writes go through obole.posts.services, which check the membership
(`require_write`) and who may see what; a refused write comes back as the
read-only explanation with a Pay button (402), never an error page.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from obole.lib.errors import NotFound, UserError, WriteRefused
from obole.posts import pins, services
from obole.posts.access import get_status_for_viewer
from obole.posts.models import Status, Visibility
from obole.posts.threads import thread
from obole.web.compose_media import uploaded_media_ids
from obole.web.social import RELATED, back, cards, page, refusal, refused, viewer, wants_fragment
from obole.web.timeline_views import compose_context

ACTIONS = {
    "like": services.favourite,
    "unlike": services.unfavourite,
    "repost": services.reblog,
    "unrepost": services.unreblog,
    "pin": pins.pin,
    "unpin": pins.unpin,
}


def status_url(row: Status) -> str:
    return reverse("status", args=[row.account.username, row.pk])


@page
def detail(request: HttpRequest, username: str, status_id: str) -> HttpResponse:
    """The status in its thread (the ones the viewer may see), with a reply box when the viewer may write."""
    reader = viewer(request)
    focus = get_status_for_viewer(reader, status_id)
    if focus.reblog_of_id is not None:
        return redirect(status_url(focus.reblog_of))
    if focus.account.username.lower() != username.lower() or not focus.account.is_active:
        raise NotFound("Record not found")
    ancestors, descendants = thread(reader, focus)
    shown = cards([*ancestors, focus, *descendants], reader)
    context = {
        "ancestors": shown[: len(ancestors)],
        "focus": shown[len(ancestors)],
        "descendants": shown[len(ancestors) + 1 :],
        "can_write": refusal(reader) is None,
    }
    if reader is not None:
        context.update(compose_context(reader, reply_to=focus))
    return render(request, "web/social/detail.html", context)


@login_required
@require_POST
@page
def compose(request: HttpRequest) -> HttpResponse:
    """Post a status or a reply from the compose box."""
    reader = request.user
    reason = refusal(reader)
    if reason is not None:
        return refused(request, reason)
    data = request.POST
    reply_to_id = data.get("in_reply_to_id", "").strip() or None
    try:
        row = services.post_status(
            reader,
            data.get("status", ""),
            visibility=data.get("visibility") or None,
            in_reply_to_id=reply_to_id,
            spoiler_text=data.get("spoiler_text", "").strip(),
            sensitive=bool(data.get("sensitive")) or None,
            media_ids=uploaded_media_ids(request),
        )
    except WriteRefused:
        raise
    except UserError as exc:
        if wants_fragment(request) or exc.status == 404:
            raise
        return _compose_again(request, exc, reply_to_id)
    row = Status.objects.select_related(*RELATED).get(pk=row.pk)
    if wants_fragment(request):
        context = {"card": cards([row], reader)[0], "can_write": True, "fresh": True}
        return render(request, "web/social/status.html", context, status=201)
    messages.success(request, "Posted.")
    return redirect(back(request))


def _compose_again(request: HttpRequest, exc: UserError, reply_to_id: str | None) -> HttpResponse:
    """Without JavaScript a refused post comes back in the compose box, with what was typed and why."""
    reply_to = get_status_for_viewer(request.user, reply_to_id) if reply_to_id else None
    visibility = request.POST.get("visibility")
    context = compose_context(
        request.user,
        reply_to=reply_to,
        text=request.POST.get("status", ""),
        visibility=visibility if visibility in Visibility.values else None,
        spoiler_text=request.POST.get("spoiler_text", ""),
        error=exc.message,
        next=back(request),
    )
    return render(request, "web/social/compose_page.html", context, status=exc.status)


@login_required
@require_POST
@page
def act(request: HttpRequest, status_id: str, action: str) -> HttpResponse:
    """Like, unlike, repost, unrepost, pin, unpin or delete; answers with the updated card for app.js."""
    reader = request.user
    if action == "delete":
        services.delete_status(reader, status_id)
        if wants_fragment(request):
            return HttpResponse("Post deleted.", content_type="text/plain; charset=utf-8")
        messages.success(request, "Post deleted.")
        target = back(request)
        # The page of the deleted post itself is gone.
        return redirect("home" if target.rstrip("/").endswith(f"/{status_id}") else target)
    if action in ("like", "repost", "pin"):
        reason = refusal(reader)  # also covers an account without a membership row (createsuperuser)
        if reason is not None:
            return refused(request, reason)
    ACTIONS[action](reader, status_id)
    if not wants_fragment(request):
        return redirect(back(request))
    # The card that was clicked may be a repost (perhaps the one just undone): show it if it still
    # exists, else the original.
    shown = request.POST.get("card") or status_id
    try:
        row = get_status_for_viewer(reader, shown)
    except NotFound:
        row = get_status_for_viewer(reader, status_id)
    row = Status.objects.select_related(*RELATED).get(pk=row.pk)
    return render(request, "web/social/status.html", {"card": cards([row], reader)[0], "can_write": True})
