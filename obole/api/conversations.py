"""Mastodon's conversations API: direct messages grouped by who takes part (obole.posts.conversations).

Another member's conversation is 404 "Record not found". Reading needs
`read:statuses`, marking read and deleting `write:conversations`; none needs
a paid membership (they change only the member's own view).
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from obole.accounts.models import Account
from obole.api import entities
from obole.api.endpoints import endpoint, not_allowed
from obole.api.pagination import page_of, paged_response, paginate
from obole.posts import conversations
from obole.posts.models import Conversation


def rendered(rows: list[Conversation], viewer: Account) -> list[dict]:
    """Conversation entities for a page: one query for the participants, one for the viewer's flags."""
    wanted = {pk for row in rows for pk in row.others}
    people = {row.pk: row for row in Account.objects.filter(pk__in=wanted, is_active=True)} if wanted else {}
    last = entities.statuses([row.last_status for row in rows], viewer)
    return [
        {
            "id": str(row.pk),
            "unread": row.unread,
            "accounts": [entities.account(people[pk]) for pk in row.others if pk in people],
            "last_status": status,
        }
        for row, status in zip(rows, last, strict=True)
    ]


def _one(row: Conversation, viewer: Account) -> dict:
    row = Conversation.objects.select_related("last_status__account", "last_status__reblog_of__account").get(
        pk=row.pk
    )
    if row.last_status is None:
        return {"id": str(row.pk), "unread": row.unread, "accounts": [], "last_status": None}
    return rendered([row], viewer)[0]


@endpoint(("GET",), scope="read:statuses")
def index(request: HttpRequest) -> JsonResponse:
    """GET /api/v1/conversations: newest message first, paged on the last status's id."""
    found = conversations.shown(request.account).select_related(
        "last_status__account", "last_status__reblog_of__account"
    )
    rows = paginate(found, page_of(request), field="last_status_id")
    return paged_response(request, rendered(rows, request.account), [row.last_status_id for row in rows])


@endpoint(("DELETE",), scope="write:conversations")
def _delete(request: HttpRequest, conversation_id: str) -> JsonResponse:
    conversations.remove(request.account, conversation_id)
    return JsonResponse({})


@csrf_exempt
def detail(request: HttpRequest, conversation_id: str) -> JsonResponse:
    if request.method == "DELETE":
        return _delete(request, conversation_id)
    return not_allowed(request, "DELETE")


@endpoint(("POST",), scope="write:conversations")
def read(request: HttpRequest, conversation_id: str) -> JsonResponse:
    row = conversations.mark_read(request.account, conversation_id)
    return JsonResponse(_one(row, request.account))
