"""Pictures sent with the compose box: a multipart form, no JavaScript needed.

The box has four slots, each a file field `picture_N` and an alt text field
`alt_N`. Each picture goes through the same upload as the API's
(obole.media.services.upload: type read from the content, EXIF removed,
limits checked), then the post claims them. A post refused after its
pictures were stored leaves them unattached; they are removed a day later.
"""

from __future__ import annotations

from django.http import HttpRequest

from obole.media import services
from obole.media.services import MAX_PER_STATUS

SLOTS = range(MAX_PER_STATUS)


def uploaded_media_ids(request: HttpRequest) -> list[int]:
    """Store the pictures of the compose form; their ids, in slot order."""
    ids = []
    for slot in SLOTS:
        file = request.FILES.get(f"picture_{slot}")
        if file is None or not file.size:
            continue
        row = services.upload(request.user, file, description=request.POST.get(f"alt_{slot}", ""))
        ids.append(row.pk)
    return ids
