"""Mastodon's lists API: a member's lists, their accounts, and the list timeline (obole.posts.lists).

Another member's list is 404 "Record not found", as on Mastodon. Reading needs
`read:lists`, changing `write:lists`; making, renaming and filling a list need
a paid membership (402), deleting and emptying never do.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from obole.api import entities
from obole.api.endpoints import array_param, endpoint, not_allowed, truthy
from obole.api.filters import without_hidden
from obole.api.pagination import page_of, paged_response, paginate
from obole.posts import lists
from obole.posts.access import get_account
from obole.posts.models import AccountList


def entity(row: AccountList) -> dict:
    """A List entity."""
    return {
        "id": str(row.pk),
        "title": row.title,
        "replies_policy": row.replies_policy,
        "exclusive": row.exclusive,
    }


def _changes(data: dict) -> dict:
    changes = {key: data[key] for key in ("title", "replies_policy") if key in data}
    if "exclusive" in data:
        changes["exclusive"] = truthy(data["exclusive"])
    return changes


# /api/v1/lists


@endpoint(("GET",), scope="read:lists")
def _index(request: HttpRequest) -> JsonResponse:
    rows = AccountList.objects.filter(account=request.account).order_by("id")
    return JsonResponse([entity(row) for row in rows], safe=False)


@endpoint(("POST",), scope="write:lists", write=True)
def _create(request: HttpRequest) -> JsonResponse:
    data = request.data
    row = lists.create(
        request.account,
        data.get("title"),
        replies_policy=data.get("replies_policy"),
        exclusive=truthy(data.get("exclusive", False)),
    )
    return JsonResponse(entity(row))


@csrf_exempt
def collection(request: HttpRequest) -> JsonResponse:
    if request.method == "GET":
        return _index(request)
    if request.method == "POST":
        return _create(request)
    return not_allowed(request, "GET", "POST")


# /api/v1/lists/:id


@endpoint(("GET",), scope="read:lists")
def _show(request: HttpRequest, list_id: str) -> JsonResponse:
    return JsonResponse(entity(lists.owned(request.account, list_id)))


@endpoint(("PUT",), scope="write:lists", write=True)
def _update(request: HttpRequest, list_id: str) -> JsonResponse:
    row = lists.owned(request.account, list_id)
    return JsonResponse(entity(lists.update(request.account, row, _changes(request.data))))


@endpoint(("DELETE",), scope="write:lists")
def _delete(request: HttpRequest, list_id: str) -> JsonResponse:
    lists.delete(lists.owned(request.account, list_id))
    return JsonResponse({})


@csrf_exempt
def detail(request: HttpRequest, list_id: str) -> JsonResponse:
    if request.method == "GET":
        return _show(request, list_id)
    if request.method == "PUT":
        return _update(request, list_id)
    if request.method == "DELETE":
        return _delete(request, list_id)
    return not_allowed(request, "GET", "PUT", "DELETE")


# /api/v1/lists/:id/accounts


@endpoint(("GET",), scope="read:lists")
def _accounts(request: HttpRequest, list_id: str) -> JsonResponse:
    """The list's accounts, paged on when they were added (limit=0: all of them, as on Mastodon)."""
    row = lists.owned(request.account, list_id)
    found = lists.members(row).select_related("account")
    if str(request.data.get("limit", "")).strip() == "0":
        rows = list(found.order_by("-id"))
        return JsonResponse(entities.accounts(member.account for member in rows), safe=False)
    rows = paginate(found, page_of(request, default=40, maximum=80))
    return paged_response(request, entities.accounts(member.account for member in rows), [m.pk for m in rows])


@endpoint(("POST",), scope="write:lists", write=True)
def _add(request: HttpRequest, list_id: str) -> JsonResponse:
    row = lists.owned(request.account, list_id)
    lists.add(request.account, row, array_param(request, "account_ids"))
    return JsonResponse({})


@endpoint(("DELETE",), scope="write:lists")
def _remove(request: HttpRequest, list_id: str) -> JsonResponse:
    row = lists.owned(request.account, list_id)
    lists.remove(row, array_param(request, "account_ids"))
    return JsonResponse({})


@csrf_exempt
def accounts(request: HttpRequest, list_id: str) -> JsonResponse:
    if request.method == "GET":
        return _accounts(request, list_id)
    if request.method == "POST":
        return _add(request, list_id)
    if request.method == "DELETE":
        return _remove(request, list_id)
    return not_allowed(request, "GET", "POST", "DELETE")


@endpoint(("GET",), scope="read:lists")
def of_account(request: HttpRequest, account_id: str) -> JsonResponse:
    """GET /api/v1/accounts/:id/lists: the caller's lists that hold the account."""
    target = get_account(account_id)
    return JsonResponse([entity(row) for row in lists.lists_with(request.account, target)], safe=False)


@endpoint(("GET",), scope="read:lists")
def timeline(request: HttpRequest, list_id: str) -> JsonResponse:
    """GET /api/v1/timelines/list/:id, paged like the other timelines."""
    row = lists.owned(request.account, list_id)
    found = paginate(lists.statuses(row).select_related("account", "reblog_of__account"), page_of(request))
    shown = without_hidden(entities.statuses(found, request.account, context="home"))  # as Mastodon
    return paged_response(request, shown, [status.pk for status in found])
