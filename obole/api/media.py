"""Mastodon's media API: upload a picture, read and describe it before attaching it to a post.

`POST /api/v2/media` and `/api/v1/media` answer 200 with the finished
attachment: pictures are processed while the request waits (they are small
and Pillow is quick), so there is no "still processing" 202 to poll. Uploads
need a paid membership (402 otherwise); only the uploader can read or change
an upload, anyone else gets 404. Pictures are attached to a post with
`media_ids` on `POST /api/v1/statuses` (obole.api.statuses).
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from obole.api.endpoints import ApiError, endpoint, not_allowed
from obole.media import services
from obole.media.entities import of_row


@endpoint(("POST",), scope="write:media", write=True)
def upload(request: HttpRequest) -> JsonResponse:
    row = services.upload(
        request.account,
        request.FILES.get("file"),
        description=_text(request, "description") or "",
        focus=_text(request, "focus"),
    )
    return JsonResponse(of_row(row))


@endpoint(("GET",), scope="write:media")
def _show(request: HttpRequest, media_id: str) -> JsonResponse:
    return JsonResponse(of_row(services.own_media(request.account, media_id)))


@endpoint(("PUT",), scope="write:media", write=True)
def _update(request: HttpRequest, media_id: str) -> JsonResponse:
    row = services.update(
        request.account,
        media_id,
        description=_text(request, "description"),
        focus=_text(request, "focus"),
    )
    return JsonResponse(of_row(row))


@csrf_exempt
def detail(request: HttpRequest, media_id: str) -> JsonResponse:
    if request.method == "GET":
        return _show(request, media_id)
    if request.method == "PUT":
        return _update(request, media_id)
    return not_allowed(request, "GET", "PUT")


def _text(request: HttpRequest, name: str) -> str | None:
    value = request.data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ApiError(422, f"{name} must be text.")
    return value
