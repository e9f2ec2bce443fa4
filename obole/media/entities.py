"""The Mastodon MediaAttachment entity, from a row or from a status's snapshot of it."""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import default_storage

from obole.media.models import MediaAttachment


def url(name: str) -> str:
    """The absolute address of a stored file (the bucket's own when media lives in S3)."""
    found = default_storage.url(name)
    return found if found.startswith(("http://", "https://")) else f"{settings.OBOLE_BASE_URL}{found}"


def _size(width: int, height: int) -> dict:
    return {"width": width, "height": height, "size": f"{width}x{height}", "aspect": width / height}


def attachment(item: dict) -> dict:
    """A MediaAttachment entity from `obole.media.services.snapshot()`'s dict."""
    return {
        "id": item["id"],
        "type": item["type"],
        "url": url(item["file"]),
        "preview_url": url(item["preview"]),
        "remote_url": None,
        "preview_remote_url": None,
        "text_url": None,
        "meta": {
            "original": _size(item["width"], item["height"]),
            "small": _size(item["preview_width"], item["preview_height"]),
            "focus": {"x": item["focus"][0], "y": item["focus"][1]},
        },
        "description": item["description"] or None,
        "blurhash": item["blurhash"] or None,
    }


def of_row(row: MediaAttachment) -> dict:
    from obole.media.services import snapshot

    return attachment(snapshot(row))
