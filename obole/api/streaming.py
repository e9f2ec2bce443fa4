"""/api/v1/streaming on the web server: a redirect to the streaming server (obole.streaming).

Mastodon serves streaming from a server of its own, which a proxy puts under
/api/v1/streaming of the same site. Where no proxy does (`obole serve` alone),
a client that asks the web port is sent to the streaming port with a 307:
EventSource and most clients follow it. Apps that read the address from the
instance endpoints (`urls.streaming_api`) connect there directly.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def redirect(request: HttpRequest) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        return JsonResponse({"error": "Streaming takes GET requests"}, status=405)
    target = urlsplit(settings.OBOLE_STREAMING_URL)
    scheme = "https" if target.scheme == "wss" else "http"
    if target.netloc == request.get_host() and scheme == request.scheme:
        # The streaming server shares this address: the proxy in front should have routed this here.
        error = "The streaming server is not reachable at this address; see OBOLE_STREAMING_URL."
        return JsonResponse({"error": error}, status=503)
    query = request.META.get("QUERY_STRING", "")
    location = f"{scheme}://{target.netloc}{request.path}{'?' + query if query else ''}"
    response = HttpResponse(status=307)
    response["Location"] = location
    return response
