"""Who is connecting to the streaming server, and may they open this stream (Mastodon's rules).

A token comes, in this order, from `Authorization: Bearer …`, the
`access_token` query parameter, or the `Sec-WebSocket-Protocol` header (a
browser's WebSocket cannot set other headers). Every stream needs one, as in
Mastodon's streaming server ("Missing access token", 401). Public and hashtag
streams need no particular scope; the others `read` or `read:statuses`, and
`read:notifications` (or `read`) for the notification stream. The user stream
carries notifications only for a token that may read them.

Obole's own web pages connect with the member's session instead: a WebSocket
whose `Origin` is the web site's own (OBOLE_BASE_URL) may be authenticated by
the session cookie, which the browser sends to the streaming port of the same
host (cookies are not bound to ports). The Origin check is what stops another
site's page from opening a stream with a visitor's cookie.
"""

from __future__ import annotations

from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from importlib import import_module
from urllib.parse import urlsplit

from django.conf import settings

from obole.accounts.models import Account
from obole.api.auth import find_token, grants
from obole.streaming.audience import NOTIFICATIONS, PUBLIC_STREAMS

# The scopes a web session stands for: what the web pages themselves may read.
SESSION_SCOPES = "read"


class StreamError(Exception):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.message, self.status = message, status


@dataclass(frozen=True)
class Viewer:
    account: Account
    scopes: str
    # The token the client sent on the Sec-WebSocket-Protocol header: echoed when accepting.
    subprotocol: str | None = None

    @property
    def pk(self) -> int:
        return self.account.pk

    def may_read_notifications(self) -> bool:
        return grants(self.scopes, "read:notifications")


def authenticate(headers: dict[str, str], query: dict[str, str], *, websocket: bool) -> Viewer:
    """The viewer behind a request's token or (a same-site WebSocket's) session; StreamError if none."""
    raw, subprotocol = None, None
    scheme, _, value = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        raw = value.strip()
    elif query.get("access_token"):
        raw = query["access_token"]
    elif headers.get("sec-websocket-protocol"):
        raw = subprotocol = headers["sec-websocket-protocol"].split(",")[0].strip()
    if raw:
        token = find_token(raw)
        if token is None:
            raise StreamError("Invalid access token", 401)
        return Viewer(token.user, token.scope, subprotocol)
    if websocket and _same_site(headers.get("origin", "")):
        account = _session_account(headers.get("cookie", ""))
        if account is not None:
            return Viewer(account, SESSION_SCOPES)
    raise StreamError("Missing access token", 401)


def check_scopes(viewer: Viewer, stream: str) -> None:
    if stream in PUBLIC_STREAMS:
        return
    needed = "read:notifications" if stream == NOTIFICATIONS else "read:statuses"
    if not grants(viewer.scopes, needed):
        raise StreamError("Access token does not have the required scopes", 401)


def _same_site(origin: str) -> bool:
    site = urlsplit(settings.OBOLE_BASE_URL)
    return bool(origin) and origin.rstrip("/") == f"{site.scheme}://{site.netloc}"


def _session_account(cookie_header: str) -> Account | None:
    from django.contrib.auth import get_user
    from django.http import HttpRequest

    try:
        cookies = SimpleCookie(cookie_header)
    except CookieError:
        return None
    morsel = cookies.get(settings.SESSION_COOKIE_NAME)
    if morsel is None or not morsel.value:
        return None
    request = HttpRequest()
    request.session = import_module(settings.SESSION_ENGINE).SessionStore(morsel.value)
    user = get_user(request)  # checks the session's password hash, as every page does
    return user if user.is_authenticated and user.is_active else None
