"""A ceiling on the size of multipart request bodies, before anything parses them.

Django keeps form fields within DATA_UPLOAD_MAX_MEMORY_SIZE, but streams file
parts to temporary files whatever their size, and the CSRF middleware parses
any multipart POST to any page. Without a ceiling, one request could fill the
disk. The largest legitimate body is the compose box with four pictures of
OBOLE_MEDIA_MAX_BYTES each, plus the form fields; anything declaring more is
answered 413 without being read.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from obole.media.services import MAX_PER_STATUS


def body_ceiling() -> int:
    return MAX_PER_STATUS * settings.OBOLE_MEDIA_MAX_BYTES + settings.DATA_UPLOAD_MAX_MEMORY_SIZE


class UploadLimit:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.META.get("CONTENT_TYPE", "").startswith("multipart/"):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0  # Django reads no body without a valid length
            if length > body_ceiling():
                message = f"The request is too large: at most {body_ceiling():,} bytes are accepted."
                if request.path_info.startswith("/api/"):
                    return JsonResponse({"error": message}, status=413)
                return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
