"""Serving media from the data directory (when it is not in an S3 bucket).

Stored names carry a random part and are never rewritten, so an answer may be
cached for a year as immutable. The Content-Type comes from the extension
Obole itself chose after reading the file, `nosniff` stops a browser from
guessing otherwise, and a sandboxing Content-Security-Policy keeps a file
opened on its own from running anything.
"""

from __future__ import annotations

from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_safe

from obole.lib.storage import CACHE_CONTROL
from obole.media.images import EXTENSIONS

CONTENT_TYPES = {extension: content_type for content_type, extension in EXTENSIONS.items()}


@require_safe
def serve(request: HttpRequest, name: str) -> FileResponse:
    content_type = CONTENT_TYPES.get(name.rsplit(".", 1)[-1])
    if content_type is None or not name.startswith("media_attachments/"):
        raise Http404("No such file")
    try:
        handle = default_storage.open(name, "rb")
    except (FileNotFoundError, IsADirectoryError, SuspiciousFileOperation):
        raise Http404("No such file") from None
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = CACHE_CONTROL
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    response["Access-Control-Allow-Origin"] = "*"
    return response
