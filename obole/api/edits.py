"""Editing statuses: `PUT /api/v1/statuses/:id` and `GET /api/v1/statuses/:id/history`.

The rules are in obole.posts.edits; this module reads the body and renders
the answers. The edit answers with the Status as it now is (`edited_at` set),
the history with every version as a StatusEdit, oldest first.
"""

from __future__ import annotations

import pydantic
from django.http import HttpRequest, JsonResponse

from obole.api.endpoints import ApiError, authorize_if_token, endpoint
from obole.api.entities import account, iso, status
from obole.media.entities import attachment
from obole.posts import edits
from obole.posts.access import get_status_for_viewer


class StatusUpdate(pydantic.BaseModel):
    """The body of PUT /api/v1/statuses/:id. Unknown fields are ignored, as Mastodon does."""

    status: str | None = None
    spoiler_text: str | None = pydantic.Field(default=None, max_length=500)
    sensitive: bool | None = None
    language: str | None = None
    media_ids: list[str | int] | None = None
    media_attributes: list[dict] | None = None
    poll: dict | None = None


def _fields(data: dict) -> dict:
    fields = {key: value for key, value in data.items() if value not in ("", [""]) or key == "status"}
    if "media_ids[]" in fields:
        fields["media_ids"] = fields.pop("media_ids[]")
    return fields


@endpoint(("PUT",), scope="write:statuses", write=True, limit="statuses")
def update(request: HttpRequest, status_id: str) -> JsonResponse:
    body = StatusUpdate.model_validate(_fields(request.data))
    if body.poll:
        raise ApiError(422, "A poll cannot be changed by an edit yet: delete the post and post it again.")
    row = edits.edit_status(
        request.account,
        status_id,
        body.status or "",
        spoiler_text=body.spoiler_text,
        sensitive=body.sensitive,
        language=body.language,
        media_ids=body.media_ids,
        media_attributes=body.media_attributes,
    )
    return JsonResponse(status(row, request.account))


@endpoint(("GET",))
def history(request: HttpRequest, status_id: str) -> JsonResponse:
    authorize_if_token(request, "read:statuses")
    row = get_status_for_viewer(request.account, status_id)
    author = account(row.account)
    return JsonResponse(
        [
            {
                "content": version.content,
                "spoiler_text": version.spoiler_text,
                "sensitive": version.sensitive,
                "created_at": iso(version.created_at),
                "account": author,
                "poll": None,
                "media_attachments": [attachment(item) for item in version.media],
                "emojis": [],
            }
            for version in edits.history(row)
        ],
        safe=False,
    )
