"""Username rules: what a handle may look like, checked once for web and API."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

USERNAME_MAX_LENGTH = 30
_PATTERN = re.compile(r"[A-Za-z0-9_]+")

# Names that would impersonate the server or collide with its paths.
RESERVED_USERNAMES = frozenset(
    {
        "admin", "administrator", "api", "help", "mod", "moderator", "obole", "oauth",
        "postmaster", "root", "security", "settings", "staff", "static", "support",
        "system", "webmaster", "well_known", "www",
    }
)  # fmt: skip


def validate_username(value: str) -> None:
    if not value:
        raise ValidationError("Choose a username.", code="required")
    if len(value) > USERNAME_MAX_LENGTH:
        raise ValidationError(
            f"A username can be at most {USERNAME_MAX_LENGTH} characters long.", code="max_length"
        )
    if not _PATTERN.fullmatch(value):  # match() would let "mary\n" through: $ matches before \n
        raise ValidationError("A username may contain only letters, digits and underscores.", code="invalid")
    if value.lower() in RESERVED_USERNAMES:
        raise ValidationError("That username is reserved; please choose another.", code="reserved")
