"""Mastodon's polls API: read a poll, vote in it; and the Poll entity the statuses carry.

The rules are in obole.posts.polls. Reading follows the status's visibility
(404 otherwise); voting needs a paid membership (402) and `write:statuses`.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.utils import timezone

from obole.api.endpoints import ApiError, array_param, authorize_if_token, endpoint, truthy
from obole.api.entities import poll
from obole.posts import polls


def poll_from_body(given: object) -> polls.PollSpec | None:
    """The poll of a new status: `poll` as a JSON object, or the form's `poll[...]` fields gathered."""
    if given is None:
        return None
    if not isinstance(given, dict):
        raise ApiError(422, "poll must be an object with options and expires_in.")
    return polls.spec(
        given.get("options"),
        given.get("expires_in"),
        multiple=truthy(given.get("multiple", False)),
        hide_totals=truthy(given.get("hide_totals", False)),
    )


def form_poll(fields: dict) -> dict:
    """`poll[options][]`, `poll[expires_in]`, … of a form post, as the JSON object they stand for."""
    return {
        "options": fields.pop("poll[options][]", []),
        "expires_in": fields.pop("poll[expires_in]", None),
        "multiple": fields.pop("poll[multiple]", False),
        "hide_totals": fields.pop("poll[hide_totals]", False),
    }


@endpoint(("GET",))
def show(request: HttpRequest, poll_id: str) -> JsonResponse:
    authorize_if_token(request, "read:statuses")
    row = polls.visible_poll(request.account, poll_id)
    return JsonResponse(poll(row, request.account, polls.own_votes(request.account, [row])))


@endpoint(("POST",), scope="write:statuses", write=True)
def votes(request: HttpRequest, poll_id: str) -> JsonResponse:
    row = polls.vote(request.account, poll_id, array_param(request, "choices"), now=timezone.now())
    return JsonResponse(poll(row, request.account, polls.own_votes(request.account, [row])))
