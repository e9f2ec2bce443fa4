"""Template filters for the social pages: relative times, visibility names, counts."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format

register = template.Library()

VISIBILITY_NAMES = {
    "public": "Public",
    "unlisted": "Unlisted",
    "private": "Followers only",
    "direct": "Mentioned people only",
}


@register.filter
def ago(moment: datetime | None, now: datetime | None = None) -> str:
    """ "now", "5m", "3h", "2d", then the date ("Nov 3", with the year when it is not this one)."""
    if moment is None:
        return ""
    now = now or timezone.now()
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 60:
        return "now"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h"
    if seconds < 7 * 86400:
        return f"{seconds // 86400}d"
    local = timezone.localtime(moment)
    return date_format(local, "M j" if local.year == timezone.localtime(now).year else "M j, Y")


@register.filter
def visibility_name(value: str) -> str:
    return VISIBILITY_NAMES.get(value, value)


@register.filter
def badge(count: int) -> str:
    """An unread count as a badge shows it: 99+ past 99."""
    return "99+" if count > 99 else str(count)


@register.filter
def media_url(name: str) -> str:
    """The address of a stored picture (served by Obole, or the bucket's own)."""
    from obole.media.entities import url

    return url(name)


@register.filter
def moment(value: str | None) -> datetime | None:
    """An API timestamp (2026-11-25T03:14:15.926Z) as a datetime, for the date filter."""
    from django.utils.dateparse import parse_datetime

    return parse_datetime(value) if value else None
