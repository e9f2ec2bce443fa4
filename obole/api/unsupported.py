"""The Mastodon API that Obole does not offer, answered plainly.

A client that calls an endpoint Mastodon documents but Obole lacks gets 422
"<feature> is not supported on this server", never a 404 "Record not found"
(which reads as "that list was deleted") nor a 405 (which reads as "you
called it wrongly"). One table, used twice: by the catch-all route at the end
of obole/api/urls.py for paths Obole does not route at all, and by the
`endpoint` decorator for a method Obole does not take on a path it serves
(deleting an unattached picture is `DELETE /api/v1/media/:id`). Anything else stays 404 or 405.
"""

from __future__ import annotations

import re

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

_ID = r"[^/]+"

# (methods, path, what is missing with its verb). Paths are matched whole, without the leading slash.
_TABLE: list[tuple[str, str, str]] = [
    ("GET", r"api/oembed", "oEmbed is"),
    ("GET", rf"api/v1/accounts/{_ID}/(?:in_)?collections", "Collections are"),
    (
        "GET POST PATCH DELETE",
        rf"api/v1/collections(?:/{_ID}(?:/items(?:/{_ID}(?:/revoke)?)?)?)?",
        "Collections",
    ),
    ("POST", rf"api/v1/accounts/{_ID}/(?:un)?(?:endorse|pin)", "Featuring accounts on a profile is"),
    ("GET", rf"api/v1/accounts/{_ID}/endorsements|api/v1/endorsements", "Featuring accounts on a profile is"),
    ("GET", rf"api/v1/accounts/{_ID}/featured_tags", "Featured hashtags are"),
    ("GET POST DELETE", rf"api/v1/featured_tags(?:/suggestions|/{_ID})?", "Featured hashtags are"),
    ("POST", rf"api/v1/tags/{_ID}/(?:un)?feature", "Featured hashtags are"),
    ("GET", rf"api/v1/accounts/{_ID}/identity_proofs", "Identity proofs are"),
    ("POST", rf"api/v1/accounts/{_ID}/note", "Private notes on accounts are"),
    ("POST", rf"api/v1/accounts/{_ID}/remove_from_followers", "Removing a follower is"),
    ("POST", rf"api/v1/announcements/{_ID}/dismiss", "Announcements are"),
    ("PUT DELETE", rf"api/v1/announcements/{_ID}/reactions/{_ID}", "Announcements are"),
    ("GET POST", rf"api/v1/annual_reports(?:/{_ID}(?:/generate|/read|/state)?)?", "Annual reports are"),
    ("GET", r"api/v1/directory", "The profile directory is"),
    ("GET POST DELETE", r"api/v1/domain_blocks", "Blocking other servers (there is no federation) is"),
    ("POST", r"api/v1/emails/confirmations", "Resending the confirmation e-mail through the API is"),
    ("POST", r"api/v1/filters", "Changing filters through API v1 (use v2) is"),
    ("PUT DELETE", rf"api/v1/filters/{_ID}", "Changing filters through API v1 (use v2) is"),
    (
        "POST",
        rf"api/v1/follow_requests/{_ID}/(?:authorize|reject)",
        "Follow requests are (accounts are never locked, so none wait)",
    ),
    (
        "GET",
        r"api/v1/instance/(?:activity|domain_blocks|extended_description|peers|privacy_policy"
        r"|terms_of_service(?:/[^/]+)?|translation_languages)",
        "This part of the instance information is",
    ),
    (
        "GET POST",
        rf"api/v1/notifications/requests(?:/accept|/dismiss|/merged|/{_ID}(?:/accept|/dismiss)?)?",
        "Notification requests are",
    ),  # fmt: skip
    (
        "GET POST",
        rf"api/v2/notifications(?:/unread_count|/{_ID}(?:/accounts|/dismiss)?)?",
        "Grouped notifications are",
    ),
    ("GET PATCH", r"api/v2/notifications/policy", "Notification policies are"),
    ("DELETE", rf"api/v1/media/{_ID}", "Deleting an unattached picture (it is removed after a day) is"),
    ("GET PATCH", r"api/v1/profile", "Avatars and headers are"),
    ("DELETE", r"api/v1/profile/(?:avatar|header)", "Avatars and headers are"),
    ("GET POST PUT DELETE", r"api/v1/push/subscription", "Web Push is"),
    ("GET PUT DELETE", rf"api/v1/scheduled_statuses(?:/{_ID})?", "Scheduled statuses are"),
    ("PUT", rf"api/v1/statuses/{_ID}/interaction_policy", "Interaction policies are"),
    ("GET", rf"api/v1/statuses/{_ID}/quotes", "Quotes are"),
    ("POST", rf"api/v1/statuses/{_ID}/quotes/{_ID}/revoke", "Quotes are"),
    ("POST", rf"api/v1/statuses/{_ID}/translate", "Translation is"),
    ("GET", r"api/v[12]/suggestions", "Follow suggestions are"),
    ("DELETE", rf"api/v1/suggestions/{_ID}", "Follow suggestions are"),
    ("GET", r"api/v1/timelines/(?:direct|link)", "This timeline is"),
    ("GET", rf"api/v1_alpha/async_refreshes/{_ID}", "Asynchronous refreshes are"),
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
    """422 "<name> not supported on this server.": `name` carries its verb ("Lists are")."""
    return JsonResponse({"error": f"{name} not supported on this server.", "details": {}}, status=422)


@csrf_exempt
def view(request: HttpRequest) -> JsonResponse:
    """The catch-all under /api/: 422 for a Mastodon feature Obole lacks, 404 for anything else."""
    name = feature(request.method, request.path_info)
    if name is not None:
        return refusal(name)
    return JsonResponse({"error": "Record not found"}, status=404)
