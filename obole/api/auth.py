"""Bearer tokens: resolve the token and the account once per request.

Tokens are issued by django-oauth-toolkit and stored only as a SHA-256
checksum (RFC 9700), so the lookup hashes what the client sent.
"""

from __future__ import annotations

import hashlib

from django.http import HttpRequest
from django.utils import timezone
from oauth2_provider.models import AccessToken

# Mastodon's scope families: a token with "read" may do everything "read:*" may.
_FAMILIES = ("read", "write", "follow", "push", "admin")


def bearer_token(request: HttpRequest) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def find_token(raw: str) -> AccessToken | None:
    """The live token for `raw`, with its user; None if unknown, revoked or expired."""
    checksum = hashlib.sha256(raw.encode()).hexdigest()
    token = (
        AccessToken.objects.select_related("user", "user__membership").filter(token_checksum=checksum).first()
    )
    if token is None or token.expires <= timezone.now() or token.user is None:
        return None
    return token


def grants(token_scopes: str, required: str) -> bool:
    """Whether a token's scopes cover `required` (e.g. "write:accounts" or "write")."""
    held = set(token_scopes.split())
    if required in held:
        return True
    family = required.split(":", 1)[0]
    return family in _FAMILIES and family in held
