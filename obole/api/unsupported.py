"""The Mastodon API that Obole does not offer, answered plainly.

A client that calls an endpoint Mastodon documents but Obole lacks gets 422
"<feature> is not supported on this server", never a 404 "Record not found"
(which reads as "that list was deleted") nor a 405 (which reads as "you
called it wrongly"). One table, used twice: by the catch-all route at the end
of obole/api/urls.py for paths Obole does not route at all, and by the
`endpoint` decorator for a method Obole does not take on a path it serves
(editing a status is `PUT /api/v1/statuses/:id`). Anything else stays 404 or 405.
"""

from __future__ import annotations

import re

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

_ID = r"[^/]+"

# (methods, path, feature). Paths are matched whole, without the leading slash.
_TABLE: list[tuple[str, str, str]] = [
    ("GET", r"api/oembed", "oEmbed"),
    ("GET", rf"api/v1/accounts/{_ID}/(?:in_)?collections", "Collections"),
    (
        "GET POST PATCH DELETE",
        rf"api/v1/collections(?:/{_ID}(?:/items(?:/{_ID}(?:/revoke)?)?)?)?",
        "Collections",
    ),
    ("POST", rf"api/v1/accounts/{_ID}/(?:un)?(?:endorse|pin)", "Featuring accounts on a profile"),
    ("GET", rf"api/v1/accounts/{_ID}/endorsements|api/v1/endorsements", "Featuring accounts on a profile"),
    ("GET", rf"api/v1/accounts/{_ID}/featured_tags", "Featured hashtags"),
    ("GET POST DELETE", rf"api/v1/featured_tags(?:/suggestions|/{_ID})?", "Featured hashtags"),
    ("POST", rf"api/v1/tags/{_ID}/(?:un)?feature", "Featured hashtags"),
    ("GET", rf"api/v1/accounts/{_ID}/identity_proofs", "Identity proofs"),
    ("GET", rf"api/v1/accounts/{_ID}/lists", "Lists"),
    ("POST", r"api/v1/lists", "Lists"),
    ("GET PUT DELETE POST", rf"api/v1/lists/{_ID}(?:/accounts)?", "Lists"),
    ("GET", rf"api/v1/timelines/list/{_ID}", "Lists"),
    ("POST", rf"api/v1/accounts/{_ID}/note", "Private notes on accounts"),
    ("POST", rf"api/v1/accounts/{_ID}/remove_from_followers", "Removing a follower"),
    ("POST", rf"api/v1/announcements/{_ID}/dismiss", "Announcements"),
    ("PUT DELETE", rf"api/v1/announcements/{_ID}/reactions/{_ID}", "Announcements"),
    ("GET POST", rf"api/v1/annual_reports(?:/{_ID}(?:/generate|/read|/state)?)?", "Annual reports"),
    ("DELETE", rf"api/v1/conversations/{_ID}", "Conversations"),
    ("POST", rf"api/v1/conversations/{_ID}/read", "Conversations"),
    ("GET", r"api/v1/directory", "The profile directory"),
    ("GET POST DELETE", r"api/v1/domain_blocks", "Blocking other servers (there is no federation)"),
    ("POST", r"api/v1/emails/confirmations", "Resending the confirmation e-mail through the API"),
    ("POST", r"api/v[12]/filters", "Filters"),
    ("GET PUT DELETE", rf"api/v[12]/filters/{_ID}", "Filters"),
    ("GET PUT DELETE", rf"api/v2/filters/(?:keywords|statuses)/{_ID}", "Filters"),
    ("GET POST", rf"api/v2/filters/{_ID}/(?:keywords|statuses)", "Filters"),
    (
        "POST",
        rf"api/v1/follow_requests/{_ID}/(?:authorize|reject)",
        "Follow requests (accounts are never locked)",
    ),
    (
        "GET",
        r"api/v1/instance/(?:activity|domain_blocks|extended_description|peers|privacy_policy"
        r"|terms_of_service(?:/[^/]+)?|translation_languages)",
        "This part of the instance information",
    ),
    ("POST", r"api/v[12]/media", "Media attachments"),
    ("GET PUT DELETE", rf"api/v1/media/{_ID}", "Media attachments"),
    (
        "GET POST",
        rf"api/v1/notifications/requests(?:/accept|/dismiss|/merged|/{_ID}(?:/accept|/dismiss)?)?",
        "Notification requests",
    ),  # fmt: skip
    (
        "GET POST",
        rf"api/v2/notifications(?:/unread_count|/{_ID}(?:/accounts|/dismiss)?)?",
        "Grouped notifications",
    ),
    ("GET PATCH", r"api/v2/notifications/policy", "Notification policies"),
    ("GET POST", rf"api/v1/polls/{_ID}(?:/votes)?", "Polls"),
    ("GET PATCH", r"api/v1/profile", "Avatars and headers"),
    ("DELETE", r"api/v1/profile/(?:avatar|header)", "Avatars and headers"),
    ("GET POST PUT DELETE", r"api/v1/push/subscription", "Web Push"),
    ("POST", r"api/v1/reports", "Reporting through the API"),
    ("GET PUT DELETE", rf"api/v1/scheduled_statuses(?:/{_ID})?", "Scheduled statuses"),
    ("PUT", rf"api/v1/statuses/{_ID}", "Editing statuses"),
    ("GET", rf"api/v1/statuses/{_ID}/history", "Editing statuses"),
    ("PUT", rf"api/v1/statuses/{_ID}/interaction_policy", "Interaction policies"),
    ("GET", rf"api/v1/statuses/{_ID}/quotes", "Quotes"),
    ("POST", rf"api/v1/statuses/{_ID}/quotes/{_ID}/revoke", "Quotes"),
    ("POST", rf"api/v1/statuses/{_ID}/translate", "Translation"),
    ("GET", r"api/v1/streaming(?:/.*)?", "Streaming"),
    ("GET", r"api/v[12]/suggestions", "Follow suggestions"),
    ("DELETE", rf"api/v1/suggestions/{_ID}", "Follow suggestions"),
    ("GET", r"api/v1/timelines/(?:direct|link)", "This timeline"),
    ("GET", rf"api/v1_alpha/async_refreshes/{_ID}", "Asynchronous refreshes"),
]
_COMPILED = [(frozenset(methods.split()), re.compile(path), feature) for methods, path, feature in _TABLE]


def feature(method: str, path: str) -> str | None:
    """The name of the Mastodon feature behind `method path` that Obole does not offer, if any."""
    path = path.strip("/")
    for methods, pattern, name in _COMPILED:
        if method in methods and pattern.fullmatch(path):
            return name
    return None


def refusal(name: str) -> JsonResponse:
    return JsonResponse({"error": f"{name} is not supported on this server.", "details": {}}, status=422)


@csrf_exempt
def view(request: HttpRequest) -> JsonResponse:
    """The catch-all under /api/: 422 for a Mastodon feature Obole lacks, 404 for anything else."""
    name = feature(request.method, request.path_info)
    if name is not None:
        return refusal(name)
    return JsonResponse({"error": "Record not found"}, status=404)
