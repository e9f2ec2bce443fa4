"""Timelines: home, public and hashtag (lists: obole/api/lists.py, conversations: obole/api/conversations.py).

Home is the hottest read of the server. Its ids come from the TimelineStore
(filled when statuses are written, mutes and blocks already applied), then the
statuses are read in one query and rendered from the cache of
obole.posts.rendering: with the token and the viewer's flags (liked,
reposted, bookmarked), a page costs four queries however long it is. A status
deleted between the two reads is simply missing from the page.

The public and hashtag timelines are one query each on the statuses table,
newest first by the time-ordered id (the `status_by_visibility` index for the
public timeline, the (tag, status) unique index for a hashtag). Both can be
read without a token; with one, they leave out the accounts the viewer
blocks, is blocked by or mutes. There is no federation: `remote=true` and
`only_media=true` (no media yet) answer an empty page.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse

from obole.api import entities
from obole.api.endpoints import array_param, authorize_if_token, endpoint, truthy
from obole.api.filters import without_hidden
from obole.api.pagination import page_of, paged_response, paginate
from obole.posts import rendering
from obole.posts.public import not_a_reply_to_others, public_statuses, tagged
from obole.posts.timelines import store

# Mastodon reads at most four tags from each of any[], all[] and none[].
TAGS_PER_MODE = 4


@endpoint(("GET",), scope="read:statuses")
def home(request: HttpRequest) -> JsonResponse:
    page = page_of(request)
    ids = store().page(
        request.account.pk, max_id=page.max_id, since_id=page.since_id, min_id=page.min_id, limit=page.limit
    )
    # The Link header follows the store's page, so a page of deleted statuses does not end the walk.
    return paged_response(request, rendering.home_page(request.account, ids), ids)  # filters applied there


@endpoint(("GET",))
def public(request: HttpRequest) -> JsonResponse:
    authorize_if_token(request, "read:statuses")
    page = page_of(request)
    if _elsewhere(request.data):
        return paged_response(request, [], [])
    rows = paginate(public_statuses(request.account).filter(not_a_reply_to_others()), page)
    rendered = entities.statuses(rows, request.account, context="public")
    return paged_response(request, without_hidden(rendered), [row.pk for row in rows])


@endpoint(("GET",))
def tag(request: HttpRequest, hashtag: str) -> JsonResponse:
    """Public statuses tagged #hashtag (or any of any[]), tagged with all of all[] and none of none[]."""
    authorize_if_token(request, "read:statuses")
    page = page_of(request)
    if _elsewhere(request.data):
        return paged_response(request, [], [])
    statuses = public_statuses(request.account).filter(id__in=tagged([hashtag, *_tag_names(request, "any")]))
    for name in _tag_names(request, "all"):
        statuses = statuses.filter(id__in=tagged([name]))
    excluded = _tag_names(request, "none")
    if excluded:
        statuses = statuses.exclude(id__in=tagged(excluded))
    rows = paginate(statuses, page)
    rendered = entities.statuses(rows, request.account, context="public")
    return paged_response(request, without_hidden(rendered), [row.pk for row in rows])


def _elsewhere(data: dict) -> bool:
    """Statuses from other servers, or with media: Obole has neither yet."""
    return truthy(data.get("remote")) or truthy(data.get("only_media"))


def _tag_names(request: HttpRequest, mode: str) -> list[str]:
    return array_param(request, mode)[:TAGS_PER_MODE]
