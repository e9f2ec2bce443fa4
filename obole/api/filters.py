"""Mastodon's filters API (v2, and v1 to read) and the `filtered` of statuses (obole.posts.filters).

Another member's filter, keyword or filtered status is 404. Reading needs
`read:filters`, changing `write:filters`; making and changing filters needs a
paid membership (402), deleting never does. Keywords come in JSON as
`keywords_attributes` (a list of objects), as Mastodon.py and the apps send them.

`mark(entities, rows, viewer, context)` is called once by
obole.api.entities.statuses when the read names its context: it sets
`filtered` (FilterResult entities) on each matching status. Endpoints then
leave out what a "hide" filter matched with `without_hidden`.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from obole.accounts.models import Account
from obole.api.endpoints import ApiError, array_param, endpoint, not_allowed
from obole.api.entities import iso
from obole.posts import filters
from obole.posts.models import Filter, FilterKeyword, FilterStatus, Status

# Entities


def keyword_entity(row: FilterKeyword) -> dict:
    return {"id": str(row.pk), "keyword": row.keyword, "whole_word": row.whole_word}


def status_entity(row: FilterStatus) -> dict:
    return {"id": str(row.pk), "status_id": str(row.status_id)}


def entity(row: Filter, keywords: list[FilterKeyword] | None = None, statuses: list | None = None) -> dict:
    """A Filter (v2); its keywords and statuses are read unless given."""
    if keywords is None:
        keywords = list(row.keywords.order_by("id"))
    if statuses is None:
        statuses = list(row.statuses.order_by("id"))
    return {
        "id": str(row.pk),
        "title": row.title,
        "context": row.context,
        "expires_at": iso(row.expires_at),
        "filter_action": row.action,
        "keywords": [keyword_entity(item) for item in keywords],
        "statuses": [status_entity(item) for item in statuses],
    }


def v1_entity(row: FilterKeyword) -> dict:
    """A V1 Filter: one per keyword, as Mastodon shows v2 filters to v1 clients."""
    return {
        "id": str(row.pk),
        "phrase": row.keyword,
        "context": row.filter.context,
        "whole_word": row.whole_word,
        "expires_at": iso(row.filter.expires_at),
        "irreversible": row.filter.action == Filter.Action.HIDE,
    }


def mark(rendered: list[dict], rows: list[Status], viewer: Account | None, context: str) -> None:
    """Set `filtered` on the statuses of a page that the viewer's filters for `context` match."""
    rules = filters.active(viewer, context)
    if rules:
        _mark_with(rules, rendered, rows)


def _mark_with(rules: list[Filter], rendered: list[dict], rows: list[Status]) -> None:
    shown: dict[int, dict] = {}
    for entity_, row in zip(rendered, rows, strict=True):
        found = filters.matches(rules, row)
        if not found:
            continue
        results = []
        for match in found:
            if match.filter.pk not in shown:
                shown[match.filter.pk] = entity(
                    match.filter, match.filter.loaded_keywords, match.filter.loaded_statuses
                )
            results.append(
                {
                    "filter": shown[match.filter.pk],
                    "keyword_matches": match.keywords or None,
                    "status_matches": [str(pk) for pk in match.statuses] or None,
                }
            )
        entity_["filtered"] = results
        if entity_["reblog"] is not None:
            entity_["reblog"]["filtered"] = results


def filtered_page(rendered: list[dict], viewer: Account, context: str) -> list[dict]:
    """`filtered` on a page rendered without its rows (the lean home path,
    obole.posts.rendering.home_page), and without what a "hide" filter matches. A viewer with
    no filters for `context` costs one query; the rows are read only for one who has some."""
    rules = filters.active(viewer, context)
    if not rules or not rendered:
        return rendered
    ids = [int(item["id"]) for item in rendered]
    rows = Status.objects.select_related("reblog_of").in_bulk(ids)
    shown = [item for item in rendered if int(item["id"]) in rows]
    _mark_with(rules, shown, [rows[int(item["id"])] for item in shown])
    return without_hidden(shown)


def hidden(status: dict) -> bool:
    return any(result["filter"]["filter_action"] == "hide" for result in status.get("filtered") or ())


def without_hidden(rendered: list[dict]) -> list[dict]:
    """The statuses of a page that no "hide" filter matched."""
    return [status for status in rendered if not hidden(status)]


# Reading the body


def _keywords(data: dict) -> list | None:
    given = data.get("keywords_attributes", data.get("keywords_attributes[]"))
    if given is None:
        return None
    if not isinstance(given, list):
        raise ApiError(422, "keywords_attributes: send a list of objects (in a JSON body)")
    return given


def _context(request: HttpRequest) -> list[str]:
    return array_param(request, "context")


# /api/v2/filters


@endpoint(("GET",), scope="read:filters")
def _index(request: HttpRequest) -> JsonResponse:
    rows = list(Filter.objects.filter(account=request.account).order_by("id"))
    keywords: dict[int, list] = {row.pk: [] for row in rows}
    statuses: dict[int, list] = {row.pk: [] for row in rows}
    for item in FilterKeyword.objects.filter(filter__in=rows).order_by("id"):
        keywords[item.filter_id].append(item)
    for item in FilterStatus.objects.filter(filter__in=rows).order_by("id"):
        statuses[item.filter_id].append(item)
    return JsonResponse([entity(row, keywords[row.pk], statuses[row.pk]) for row in rows], safe=False)


@endpoint(("POST",), scope="write:filters", write=True)
def _create(request: HttpRequest) -> JsonResponse:
    data = request.data
    row = filters.create(
        request.account,
        title=data.get("title"),
        context=_context(request),
        action=data.get("filter_action"),
        expires_in=data.get("expires_in"),
        keywords=_keywords(data),
    )
    return JsonResponse(entity(row))


@csrf_exempt
def collection(request: HttpRequest) -> JsonResponse:
    if request.method == "GET":
        return _index(request)
    if request.method == "POST":
        return _create(request)
    return not_allowed(request, "GET", "POST")


@endpoint(("GET",), scope="read:filters")
def v1_index(request: HttpRequest) -> JsonResponse:
    """GET /api/v1/filters: the keywords of the member's filters, as v1 filters."""
    rows = (
        FilterKeyword.objects.filter(filter__account=request.account).select_related("filter").order_by("id")
    )
    return JsonResponse([v1_entity(row) for row in rows], safe=False)


@endpoint(("GET",), scope="read:filters")
def v1_show(request: HttpRequest, keyword_id: str) -> JsonResponse:
    """GET /api/v1/filters/:id: one keyword as a v1 filter (changing them is v2's)."""
    return JsonResponse(v1_entity(filters.owned_keyword(request.account, keyword_id)))


# /api/v2/filters/:id


@endpoint(("GET",), scope="read:filters")
def _show(request: HttpRequest, filter_id: str) -> JsonResponse:
    return JsonResponse(entity(filters.owned(request.account, filter_id)))


@endpoint(("PUT",), scope="write:filters", write=True)
def _update(request: HttpRequest, filter_id: str) -> JsonResponse:
    row = filters.owned(request.account, filter_id)
    data = request.data
    changes = {key: data[key] for key in ("title", "filter_action", "expires_in") if key in data}
    if "context" in data or "context[]" in data:
        changes["context"] = _context(request)
    return JsonResponse(entity(filters.update(request.account, row, changes, _keywords(data))))


@endpoint(("DELETE",), scope="write:filters")
def _delete(request: HttpRequest, filter_id: str) -> JsonResponse:
    filters.owned(request.account, filter_id).delete()
    return JsonResponse({})


@csrf_exempt
def detail(request: HttpRequest, filter_id: str) -> JsonResponse:
    if request.method == "GET":
        return _show(request, filter_id)
    if request.method == "PUT":
        return _update(request, filter_id)
    if request.method == "DELETE":
        return _delete(request, filter_id)
    return not_allowed(request, "GET", "PUT", "DELETE")


# /api/v2/filters/:id/keywords and /api/v2/filters/keywords/:id


@endpoint(("GET",), scope="read:filters")
def _keywords_index(request: HttpRequest, filter_id: str) -> JsonResponse:
    row = filters.owned(request.account, filter_id)
    return JsonResponse([keyword_entity(item) for item in row.keywords.order_by("id")], safe=False)


@endpoint(("POST",), scope="write:filters", write=True)
def _keywords_add(request: HttpRequest, filter_id: str) -> JsonResponse:
    row = filters.owned(request.account, filter_id)
    data = request.data
    return JsonResponse(
        keyword_entity(filters.add_keyword(request.account, row, data.get("keyword"), data.get("whole_word")))
    )


@csrf_exempt
def keywords(request: HttpRequest, filter_id: str) -> JsonResponse:
    if request.method == "GET":
        return _keywords_index(request, filter_id)
    if request.method == "POST":
        return _keywords_add(request, filter_id)
    return not_allowed(request, "GET", "POST")


@endpoint(("GET",), scope="read:filters")
def _keyword_show(request: HttpRequest, keyword_id: str) -> JsonResponse:
    return JsonResponse(keyword_entity(filters.owned_keyword(request.account, keyword_id)))


@endpoint(("PUT",), scope="write:filters", write=True)
def _keyword_update(request: HttpRequest, keyword_id: str) -> JsonResponse:
    found = filters.owned_keyword(request.account, keyword_id)
    return JsonResponse(keyword_entity(filters.change_keyword(request.account, found, request.data)))


@endpoint(("DELETE",), scope="write:filters")
def _keyword_delete(request: HttpRequest, keyword_id: str) -> JsonResponse:
    filters.owned_keyword(request.account, keyword_id).delete()
    return JsonResponse({})


@csrf_exempt
def keyword(request: HttpRequest, keyword_id: str) -> JsonResponse:
    if request.method == "GET":
        return _keyword_show(request, keyword_id)
    if request.method == "PUT":
        return _keyword_update(request, keyword_id)
    if request.method == "DELETE":
        return _keyword_delete(request, keyword_id)
    return not_allowed(request, "GET", "PUT", "DELETE")


# /api/v2/filters/:id/statuses and /api/v2/filters/statuses/:id


@endpoint(("GET",), scope="read:filters")
def _statuses_index(request: HttpRequest, filter_id: str) -> JsonResponse:
    row = filters.owned(request.account, filter_id)
    return JsonResponse([status_entity(item) for item in row.statuses.order_by("id")], safe=False)


@endpoint(("POST",), scope="write:filters", write=True)
def _statuses_add(request: HttpRequest, filter_id: str) -> JsonResponse:
    row = filters.owned(request.account, filter_id)
    return JsonResponse(
        status_entity(filters.add_status(request.account, row, request.data.get("status_id")))
    )


@csrf_exempt
def statuses(request: HttpRequest, filter_id: str) -> JsonResponse:
    if request.method == "GET":
        return _statuses_index(request, filter_id)
    if request.method == "POST":
        return _statuses_add(request, filter_id)
    return not_allowed(request, "GET", "POST")


@endpoint(("GET",), scope="read:filters")
def _status_show(request: HttpRequest, filter_status_id: str) -> JsonResponse:
    return JsonResponse(status_entity(filters.owned_status(request.account, filter_status_id)))


@endpoint(("DELETE",), scope="write:filters")
def _status_delete(request: HttpRequest, filter_status_id: str) -> JsonResponse:
    filters.owned_status(request.account, filter_status_id).delete()
    return JsonResponse({})


@csrf_exempt
def status(request: HttpRequest, filter_status_id: str) -> JsonResponse:
    if request.method == "GET":
        return _status_show(request, filter_status_id)
    if request.method == "DELETE":
        return _status_delete(request, filter_status_id)
    return not_allowed(request, "GET", "DELETE")
