"""Mastodon's statuses API: post, show, delete, threads, likes, reposts and bookmarks.

Every status is fetched through `get_status_for_viewer` (one status) or
`visible_statuses` (several), so a status someone may not see answers 404
`Record not found`, as in Mastodon, never 403. Writes others see (posting,
liking, reposting) need a paid membership (`write=True`, 402 otherwise);
undoing them, deleting one's own statuses and bookmarking never do.

Reading needs no token for what is public; a token, when one is sent, must
hold the read scope, as Mastodon's `authorize_if_got_token!`.

Conversation mutes are not stored yet: that endpoint checks that the status
is visible, then answers 422. Pins are obole/posts/pins.py.
"""

from __future__ import annotations

import hashlib
from typing import Literal

import pydantic
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from obole.accounts.models import Account, Block
from obole.api import edits, polls
from obole.api.endpoints import (
    ApiError,
    array_param,
    authorize_if_token,
    endpoint,
    json_response,
    not_allowed,
)
from obole.api.entities import accounts, new_status, status, statuses
from obole.api.filters import without_hidden
from obole.api.pagination import page_of, paged_response, paginate
from obole.lib.errors import Forbidden, NotFound
from obole.lib.snowflake import parse_id
from obole.posts import pins, services
from obole.posts.access import get_status_for_viewer, visible_statuses
from obole.posts.models import Bookmark, Favourite, IdempotencyKey, Status
from obole.posts.threads import thread

# GET /api/v1/statuses?id[]=… answers at most this many at once.
MANY_LIMIT = 40
RELATED = ("account", "reblog_of__account")


class NewStatus(pydantic.BaseModel):
    """The body of POST /api/v1/statuses. Unknown fields are ignored, as Mastodon does."""

    status: str | None = None
    in_reply_to_id: str | int | None = None
    visibility: Literal["public", "unlisted", "private", "direct"] | None = None
    # The column is 500 wide, whatever OBOLE_MAX_STATUS_CHARS allows for the text.
    spoiler_text: str | None = pydantic.Field(default=None, max_length=500)
    sensitive: bool | None = None
    language: str | None = None
    media_ids: list[str | int] | None = None
    poll: dict | None = None
    scheduled_at: str | None = None


class Repost(pydantic.BaseModel):
    visibility: Literal["public", "unlisted", "private"] | None = None


def _loaded(status_id: int) -> Status:
    return Status.objects.select_related(*RELATED).get(pk=status_id)


def _original(row: Status) -> Status:
    return row.reblog_of if row.reblog_of_id is not None else row


def _form_fields(data: dict) -> dict:
    """Form posts name arrays `media_ids[]` and nest `poll[options][]`; blanks mean "not given"."""
    fields = {key: value for key, value in data.items() if value not in ("", [""]) or key == "status"}
    if "media_ids[]" in fields:
        fields["media_ids"] = fields.pop("media_ids[]")
    if any(key.startswith("poll[") for key in fields):
        fields["poll"] = polls.form_poll(fields)
    return fields


def _idempotency_key(request: HttpRequest) -> str | None:
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key:
        return None
    # Keys are the client's choice of length; long ones are kept by their digest.
    max_length = IdempotencyKey._meta.get_field("key").max_length
    return key if len(key) <= max_length else hashlib.sha256(key.encode()).hexdigest()


# /api/v1/statuses


@endpoint(("POST",), scope="write:statuses", write=True, limit="statuses")
def _create(request: HttpRequest) -> JsonResponse:
    body = NewStatus.model_validate(_form_fields(request.data))
    if body.scheduled_at:
        raise ApiError(422, "scheduled statuses are not supported yet")
    reply_to = body.in_reply_to_id if body.in_reply_to_id not in (None, "") else None
    try:
        row = services.post_status(
            request.account,
            body.status or "",
            visibility=body.visibility,
            in_reply_to_id=reply_to,
            spoiler_text=body.spoiler_text or "",
            sensitive=body.sensitive,
            language=body.language,
            idempotency_key=_idempotency_key(request),
            media_ids=body.media_ids,
            poll=polls.poll_from_body(body.poll),
        )
    except NotFound:
        # Only the status replied to is looked up; Mastodon names it.
        raise NotFound("The post you are trying to reply to does not appear to exist.") from None
    row.account = request.account  # the author, already loaded: no need to read the status again
    # A status this call made has no flags to read; an earlier one (same Idempotency-Key) may.
    fresh = getattr(row, "made_now", False)
    return json_response(new_status(row) if fresh else status(row, request.account))


@endpoint(("GET",))
def _many(request: HttpRequest) -> JsonResponse:
    authorize_if_token(request, "read:statuses")
    wanted: list[int] = []
    for value in array_param(request, "id"):
        number = parse_id(value)
        if number is not None:  # an id that cannot exist is left out, like one that does not
            wanted.append(number)
    wanted = list(dict.fromkeys(wanted))
    if len(wanted) > MANY_LIMIT:
        raise ApiError(422, f"Ask for at most {MANY_LIMIT} statuses at once.")
    if not wanted:
        return JsonResponse([], safe=False)
    found = {
        row.pk: row
        for row in visible_statuses(request.account).filter(id__in=wanted).select_related(*RELATED)
    }
    rows = [found[pk] for pk in wanted if pk in found]
    return JsonResponse(statuses(rows, request.account), safe=False)


# The dispatchers are what the URL resolves to, so they are the views CSRF
# middleware looks at: they must be exempt themselves (bearer tokens, not cookies).
@csrf_exempt
def collection(request: HttpRequest) -> JsonResponse:
    """GET several statuses by id, or POST a new one."""
    if request.method == "POST":
        return _create(request)
    if request.method == "GET":
        return _many(request)
    return not_allowed(request, "GET", "POST")


# /api/v1/statuses/:id


@endpoint(("GET",))
def _show(request: HttpRequest, status_id: str) -> JsonResponse:
    authorize_if_token(request, "read:statuses")
    return JsonResponse(status(get_status_for_viewer(request.account, status_id), request.account))


@endpoint(("DELETE",), scope="write:statuses")
def _delete(request: HttpRequest, status_id: str) -> JsonResponse:
    """Answer with the status and its `text`, so a client can offer to redraft it."""
    row = get_status_for_viewer(request.account, status_id)
    if row.account_id != request.account.pk:
        raise Forbidden("This action is not allowed")
    # Rendered before the row goes: a deleted instance has lost its primary key.
    entity = status(row, request.account, with_text=True)
    services.delete_status(request.account, row.pk)
    return JsonResponse(entity)


@csrf_exempt
def detail(request: HttpRequest, status_id: str) -> JsonResponse:
    if request.method == "GET":
        return _show(request, status_id)
    if request.method == "DELETE":
        return _delete(request, status_id)
    if request.method == "PUT":
        return edits.update(request, status_id)  # obole/api/edits.py
    return not_allowed(request, "GET", "PUT", "DELETE")


@endpoint(("GET",), scope="read:statuses")
def source(request: HttpRequest, status_id: str) -> JsonResponse:
    """What the author typed. Only the author may ask, as in Mastodon."""
    row = get_status_for_viewer(request.account, status_id)
    if row.account_id != request.account.pk:
        raise NotFound("Record not found")
    return JsonResponse({"id": str(row.pk), "text": row.text, "spoiler_text": row.spoiler_text})


@endpoint(("GET",))
def context(request: HttpRequest, status_id: str) -> JsonResponse:
    """The thread around a status: ancestors oldest first, descendants depth first (obole.posts.threads)."""
    authorize_if_token(request, "read:statuses")
    viewer = request.account
    focus = get_status_for_viewer(viewer, status_id)
    ancestors, descendants = thread(viewer, focus)
    rendered = statuses([*ancestors, *descendants], viewer, context="thread")
    above, below = rendered[: len(ancestors)], rendered[len(ancestors) :]
    return JsonResponse({"ancestors": without_hidden(above), "descendants": without_hidden(below)})


# Likes, reposts, bookmarks


@endpoint(("POST",), scope="write:favourites", write=True)
def favourite(request: HttpRequest, status_id: str) -> JsonResponse:
    row = services.favourite(request.account, status_id)
    return JsonResponse(status(_loaded(row.pk), request.account))


@endpoint(("POST",), scope="write:favourites")
def unfavourite(request: HttpRequest, status_id: str) -> JsonResponse:
    row = services.unfavourite(request.account, status_id)
    return JsonResponse(status(_loaded(row.pk), request.account))


@endpoint(("POST",), scope="write:statuses", write=True, limit="statuses")
def reblog(request: HttpRequest, status_id: str) -> JsonResponse:
    """Answer with the repost, the original inside it as `reblog`."""
    body = Repost.model_validate(_form_fields(request.data))
    row = services.reblog(request.account, status_id, visibility=body.visibility)
    return JsonResponse(status(_loaded(row.pk), request.account))


@endpoint(("POST",), scope="write:statuses")
def unreblog(request: HttpRequest, status_id: str) -> JsonResponse:
    row = services.unreblog(request.account, status_id)
    return JsonResponse(status(_loaded(row.pk), request.account))


@endpoint(("POST",), scope="write:bookmarks")
def bookmark(request: HttpRequest, status_id: str) -> JsonResponse:
    row = services.bookmark(request.account, status_id)
    return JsonResponse(status(row, request.account))


@endpoint(("POST",), scope="write:bookmarks")
def unbookmark(request: HttpRequest, status_id: str) -> JsonResponse:
    row = services.unbookmark(request.account, status_id)
    return JsonResponse(status(row, request.account))


@endpoint(("POST",), scope="write:accounts", write=True)
def pin(request: HttpRequest, status_id: str) -> JsonResponse:
    """Pin one's own status to one's profile (obole.posts.pins: at most 5, no reposts)."""
    return JsonResponse(status(pins.pin(request.account, status_id), request.account))


@endpoint(("POST",), scope="write:accounts")
def unpin(request: HttpRequest, status_id: str) -> JsonResponse:
    return JsonResponse(status(pins.unpin(request.account, status_id), request.account))


@endpoint(("POST",), scope="write:mutes")
def mute(request: HttpRequest, status_id: str) -> JsonResponse:
    get_status_for_viewer(request.account, status_id)
    raise ApiError(422, "Muting conversations is not supported yet")


# Who liked or reposted a status


@endpoint(("GET",))
def favourited_by(request: HttpRequest, status_id: str) -> JsonResponse:
    """Accounts that liked the status, newest like first, paged by the like's id."""
    authorize_if_token(request, "read:accounts")
    target = _original(get_status_for_viewer(request.account, status_id))
    likes = Favourite.objects.filter(status=target, account__is_active=True).select_related("account")
    if request.account is not None:
        # Blocks either way hide the account, as everywhere else (subqueries, not a round trip).
        likes = likes.exclude(account__in=Block.objects.filter(account=request.account).values("target"))
        likes = likes.exclude(account__in=Block.objects.filter(target=request.account).values("account"))
    rows = paginate(likes, page_of(request, default=40, maximum=80))
    return paged_response(request, accounts(row.account for row in rows), [row.pk for row in rows])


@endpoint(("GET",))
def reblogged_by(request: HttpRequest, status_id: str) -> JsonResponse:
    """Accounts whose repost of the status the viewer may see, paged by the repost's id."""
    authorize_if_token(request, "read:accounts")
    target = _original(get_status_for_viewer(request.account, status_id))
    reposts = (
        visible_statuses(request.account)
        .filter(reblog_of=target, account__is_active=True)
        .select_related("account")
    )
    rows = paginate(reposts, page_of(request, default=40, maximum=80))
    return paged_response(request, accounts(row.account for row in rows), [row.pk for row in rows])


# The viewer's own lists


@endpoint(("GET",), scope="read:bookmarks")
def bookmarks(request: HttpRequest) -> JsonResponse:
    return _saved(request, Bookmark)


@endpoint(("GET",), scope="read:favourites")
def favourites(request: HttpRequest) -> JsonResponse:
    return _saved(request, Favourite)


def _saved(request: HttpRequest, model: type[Bookmark] | type[Favourite]) -> JsonResponse:
    """The viewer's bookmarks or likes, newest first, paged by the row's own id (as Mastodon).

    A status the viewer may no longer see (its author blocked them, or they
    stopped following a private author) is left out of the page; the Link
    header still moves past it.
    """
    viewer: Account = request.account
    related = [f"status__{name}" for name in RELATED]
    saved = paginate(model.objects.filter(account=viewer).select_related(*related), page_of(request))
    visible = set(
        visible_statuses(viewer).filter(id__in=[row.status_id for row in saved]).values_list("id", flat=True)
    )
    rows = [row.status for row in saved if row.status_id in visible]
    return paged_response(request, statuses(rows, viewer), [row.pk for row in saved])
