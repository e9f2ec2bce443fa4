"""Mastodon's social graph API: follow, block and mute, and what the viewer knows of others.

- POST /api/v1/accounts/:id/follow, unfollow, block, unblock, mute, unmute → Relationship
- GET  /api/v1/accounts/relationships?id[]=, /api/v1/accounts/familiar_followers?id[]=
- GET  /api/v1/blocks, /api/v1/mutes (Link pagination), /api/v1/follow_requests

Following is something others see, so it needs a paid membership (402
otherwise); unfollowing, blocking and muting protect the member and never do.
The writes themselves live in `obole.accounts.graph`.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse

from obole.accounts import graph
from obole.accounts.models import Account, Block, Follow, Mute
from obole.api import entities
from obole.api.accounts import flag, id_list
from obole.api.endpoints import ApiError, endpoint
from obole.api.pagination import page_of, paged_response, paginate
from obole.posts.access import get_account

IDS_PER_REQUEST = 300  # more than any client asks for at once; bounds the IN (...) lists


def _relationship(viewer: Account, target: Account) -> JsonResponse:
    return JsonResponse(entities.relationships(viewer, [target])[0])


def _ids(request: HttpRequest) -> list[int]:
    ids = id_list(request)
    if len(ids) > IDS_PER_REQUEST:
        raise ApiError(422, f"Ask for at most {IDS_PER_REQUEST} accounts at once.")
    return ids


# --- changes ---------------------------------------------------------------------------


@endpoint(("POST",), scope="write:follows", write=True, limit="follows")
def follow(request: HttpRequest, account_id: str) -> JsonResponse:
    """Follow at once (accounts are never locked). `reblogs`, `notify` and `languages` are accepted
    and not kept: every follow shows reposts, notifies of nothing and reads every language."""
    target = get_account(account_id)
    for name in ("reblogs", "notify"):
        flag(request.data, name)
    graph.follow(request.account, target)
    return _relationship(request.account, target)


@endpoint(("POST",), scope="write:follows")
def unfollow(request: HttpRequest, account_id: str) -> JsonResponse:
    target = get_account(account_id)
    graph.unfollow(request.account, target)
    return _relationship(request.account, target)


@endpoint(("POST",), scope="write:blocks")
def block(request: HttpRequest, account_id: str) -> JsonResponse:
    target = get_account(account_id)
    graph.block(request.account, target)
    return _relationship(request.account, target)


@endpoint(("POST",), scope="write:blocks")
def unblock(request: HttpRequest, account_id: str) -> JsonResponse:
    target = get_account(account_id)
    graph.unblock(request.account, target)
    return _relationship(request.account, target)


@endpoint(("POST",), scope="write:mutes")
def mute(request: HttpRequest, account_id: str) -> JsonResponse:
    """Mute, by default notifications too. Timed mutes (`duration`) are refused rather than
    silently made permanent: a client can then offer "indefinitely"."""
    target = get_account(account_id)
    notifications = flag(request.data, "notifications", True)
    duration = request.data.get("duration")
    if duration not in (None, "", 0, "0"):
        try:
            seconds = int(str(duration))
        except ValueError:
            raise ApiError(422, "duration must be a number of seconds (0: indefinitely).") from None
        if seconds != 0:
            raise ApiError(422, "Timed mutes are not offered yet: mute with duration 0 (indefinitely).")
    graph.mute(request.account, target, notifications=notifications)
    return _relationship(request.account, target)


@endpoint(("POST",), scope="write:mutes")
def unmute(request: HttpRequest, account_id: str) -> JsonResponse:
    target = get_account(account_id)
    graph.unmute(request.account, target)
    return _relationship(request.account, target)


# --- what the viewer knows ------------------------------------------------------------------


@endpoint(("GET",), scope="read:follows")
def relationships(request: HttpRequest) -> JsonResponse:
    """Relationships with the accounts asked for, in the order asked; unknown ids are skipped."""
    ids = _ids(request)
    found = Account.objects.filter(is_active=True).in_bulk(ids)
    targets = [found[pk] for pk in ids if pk in found]
    return JsonResponse(entities.relationships(request.account, targets), safe=False)


@endpoint(("GET",), scope="read:follows")
def familiar_followers(request: HttpRequest) -> JsonResponse:
    """For each account asked for, the accounts the viewer follows that follow it (two queries)."""
    ids = _ids(request)
    known = set(Account.objects.filter(pk__in=ids, is_active=True).values_list("pk", flat=True))
    followed = Follow.objects.filter(follower=request.account).values("target")
    rows = (
        Follow.objects.filter(target_id__in=known, follower__in=followed, follower__is_active=True)
        .select_related("follower")
        .order_by("-id")
    )
    found: dict[int, list[Account]] = {pk: [] for pk in known}
    for row in rows:
        found[row.target_id].append(row.follower)
    return JsonResponse(
        [{"id": str(pk), "accounts": entities.accounts(found[pk])} for pk in ids if pk in known], safe=False
    )


@endpoint(("GET",), scope="read:blocks")
def blocks(request: HttpRequest) -> JsonResponse:
    page = page_of(request, default=40, maximum=80)
    rows = Block.objects.filter(account=request.account, target__is_active=True).select_related("target")
    found = paginate(rows, page)
    return paged_response(request, entities.accounts(row.target for row in found), [row.pk for row in found])


@endpoint(("GET",), scope="read:mutes")
def mutes(request: HttpRequest) -> JsonResponse:
    """MutedAccount entities: an Account and when the mute ends (never, as mutes are not timed)."""
    page = page_of(request, default=40, maximum=80)
    rows = Mute.objects.filter(account=request.account, target__is_active=True).select_related("target")
    found = paginate(rows, page)
    body = [{**entities.account(row.target), "mute_expires_at": None} for row in found]
    return paged_response(request, body, [row.pk for row in found])


@endpoint(("GET",), scope="read:follows")
def follow_requests(request: HttpRequest) -> JsonResponse:
    """Always empty: Obole accounts are never locked, so every follow takes effect at once."""
    page_of(request, default=40, maximum=80)  # still refuse malformed paging parameters
    return JsonResponse([], safe=False)
