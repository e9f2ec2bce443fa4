"""Filters: a member's keywords and statuses to warn about ("warn") or leave out ("hide").

A filter applies where its `context` says (home — lists too —, notifications,
public, thread, account) until it expires. A status matches when its text or
content warning contains one of the keywords (case-insensitive; a
`whole_word` keyword only between word boundaries), or when it (or the post
it reposts) is one of the filter's statuses. Reading a page costs one query
for the reader's filters, and two more only for a reader who has some.
Making and changing filters needs write rights (docs/architecture.md rule 2),
as every write; deleting them never does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from obole.accounts.models import Account
from obole.lib.errors import NotFound, UserError
from obole.lib.snowflake import parse_id
from obole.membership.permissions import require_write
from obole.posts.access import get_status_for_viewer
from obole.posts.models import Filter, FilterKeyword, FilterStatus, Status

CONTEXTS = ("home", "notifications", "public", "thread", "account")
ACTIONS = tuple(Filter.Action.values)
MAX_FILTERS = 100
MAX_KEYWORDS = 100
TITLE_MAX = Filter._meta.get_field("title").max_length
KEYWORD_MAX = FilterKeyword._meta.get_field("keyword").max_length
# Ten years, in seconds: past any real use, and well inside what a date column holds.
MAX_EXPIRES_IN = 10 * 365 * 24 * 3600


# Checking what a client sends


def checked_title(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise UserError("title: can't be blank")
    if len(value.strip()) > TITLE_MAX:
        raise UserError(f"title: is too long (at most {TITLE_MAX} characters)")
    return value.strip()


def checked_context(values: list[str]) -> list[str]:
    if not values:
        raise UserError(f"context: give at least one of {', '.join(CONTEXTS)}")
    for value in values:
        if value not in CONTEXTS:
            raise UserError(f"context: {value!r} is not one of {', '.join(CONTEXTS)}")
    return list(dict.fromkeys(values))


def checked_action(value: object) -> str:
    if value not in ACTIONS:
        raise UserError(f"filter_action: must be one of {', '.join(ACTIONS)}")
    return str(value)


def expiry(value: object, now: datetime) -> datetime | None:
    """expires_in (seconds from now) as a moment; None (blank) for never."""
    if value in (None, ""):
        return None
    try:
        seconds = int(str(value))
    except ValueError:
        raise UserError("expires_in: must be a number of seconds") from None
    if not 0 < seconds <= MAX_EXPIRES_IN:
        raise UserError(f"expires_in: must be between 1 and {MAX_EXPIRES_IN} seconds")
    return now + timedelta(seconds=seconds)


def checked_keyword(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise UserError("keyword: can't be blank")
    if len(value.strip()) > KEYWORD_MAX:
        raise UserError(f"keyword: is too long (at most {KEYWORD_MAX} characters)")
    return value.strip()


# Writing


def create(
    owner: Account,
    *,
    title: object,
    context: list[str],
    action: object = None,
    expires_in: object = None,
    keywords: list[dict] | None = None,
    now: datetime | None = None,
) -> Filter:
    now = now or timezone.now()
    require_write(owner, now)
    row = Filter(
        account=owner,
        title=checked_title(title),
        context=checked_context(context),
        action=checked_action(action) if action not in (None, "") else Filter.Action.WARN,
        expires_at=expiry(expires_in, now),
    )
    made = [_keyword(row, item) for item in keywords or []]
    if len(made) > MAX_KEYWORDS:
        raise UserError(f"keywords_attributes: at most {MAX_KEYWORDS} keywords")
    with transaction.atomic():
        Account.objects.select_for_update().filter(pk=owner.pk).first()
        if Filter.objects.filter(account=owner).count() >= MAX_FILTERS:
            raise UserError(f"You can have at most {MAX_FILTERS} filters.")
        row.save()
        FilterKeyword.objects.bulk_create(made)
    return row


def _keyword(row: Filter, item: object) -> FilterKeyword:
    if not isinstance(item, dict):
        raise UserError("keywords_attributes: each must be an object with a keyword")
    return FilterKeyword(
        filter=row,
        keyword=checked_keyword(item.get("keyword")),
        whole_word=_flag(item.get("whole_word"), True),
    )


def _flag(value: object, default: bool) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, str):
        return value.strip().lower() not in ("0", "f", "false", "off")
    return bool(value)


def update(
    owner: Account, row: Filter, changes: dict, keywords: list | None, now: datetime | None = None
) -> Filter:
    """Change what `changes` names; `keywords` as Mastodon's keywords_attributes: with an id, change
    that keyword (or delete it with `_destroy`), without, add one. All or nothing."""
    now = now or timezone.now()
    require_write(owner, now)
    if "title" in changes:
        row.title = checked_title(changes["title"])
    if "context" in changes:
        row.context = checked_context(changes["context"])
    if changes.get("filter_action") not in (None, ""):
        row.action = checked_action(changes["filter_action"])
    if "expires_in" in changes:
        row.expires_at = expiry(changes["expires_in"], now)
    with transaction.atomic():
        row.save()
        for item in keywords or []:
            if not isinstance(item, dict):
                raise UserError("keywords_attributes: each must be an object with a keyword")
            if item.get("id") in (None, ""):
                _keyword(row, item).save()
                continue
            found = row.keywords.filter(pk=parse_id(item["id"])).first()
            if found is None:
                raise NotFound("Record not found")
            if _flag(item.get("_destroy"), False):
                found.delete()
                continue
            if "keyword" in item:
                found.keyword = checked_keyword(item["keyword"])
            if "whole_word" in item:
                found.whole_word = _flag(item["whole_word"], True)
            found.save()
        if row.keywords.count() > MAX_KEYWORDS:
            raise UserError(f"keywords_attributes: at most {MAX_KEYWORDS} keywords")
    return row


def owned(owner: Account, filter_id: object) -> Filter:
    number = parse_id(filter_id)
    found = Filter.objects.filter(pk=number, account=owner).first() if number is not None else None
    if found is None:
        raise NotFound("Record not found")
    return found


def owned_keyword(owner: Account, keyword_id: object) -> FilterKeyword:
    number = parse_id(keyword_id)
    found = (
        FilterKeyword.objects.filter(pk=number, filter__account=owner).select_related("filter").first()
        if number is not None
        else None
    )
    if found is None:
        raise NotFound("Record not found")
    return found


def owned_status(owner: Account, filter_status_id: object) -> FilterStatus:
    number = parse_id(filter_status_id)
    found = (
        FilterStatus.objects.filter(pk=number, filter__account=owner).first() if number is not None else None
    )
    if found is None:
        raise NotFound("Record not found")
    return found


def add_keyword(owner: Account, row: Filter, keyword: object, whole_word: object) -> FilterKeyword:
    require_write(owner)
    if row.keywords.count() >= MAX_KEYWORDS:
        raise UserError(f"keyword: at most {MAX_KEYWORDS} keywords a filter")
    return FilterKeyword.objects.create(
        filter=row, keyword=checked_keyword(keyword), whole_word=_flag(whole_word, True)
    )


def change_keyword(owner: Account, found: FilterKeyword, data: dict) -> FilterKeyword:
    require_write(owner)
    if "keyword" in data:
        found.keyword = checked_keyword(data["keyword"])
    if "whole_word" in data:
        found.whole_word = _flag(data["whole_word"], True)
    found.save()
    return found


def add_status(owner: Account, row: Filter, status_id: object) -> FilterStatus:
    """Filter one status the owner may see (404 otherwise); adding it twice returns the first."""
    require_write(owner)
    status = get_status_for_viewer(owner, status_id)
    found, _ = FilterStatus.objects.get_or_create(filter=row, status=status)
    return found


# Reading


@dataclass(frozen=True)
class Match:
    filter: Filter
    keywords: list[str]
    statuses: list[int]


def active(viewer: Account | None, context: str, now: datetime | None = None) -> list[Filter]:
    """`viewer`'s unexpired filters for `context`, with their keywords and statuses: one query, and
    two more only when there are some."""
    if viewer is None:
        return []
    now = now or timezone.now()
    rows = Filter.objects.filter(account=viewer).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
    found = [row for row in rows.order_by("id") if context in row.context]
    if found:
        keywords = FilterKeyword.objects.filter(filter__in=found).order_by("id")
        statuses = FilterStatus.objects.filter(filter__in=found).order_by("id")
        by_filter: dict[int, tuple[list, list]] = {row.pk: ([], []) for row in found}
        for keyword in keywords:
            by_filter[keyword.filter_id][0].append(keyword)
        for status in statuses:
            by_filter[status.filter_id][1].append(status)
        for row in found:
            row.loaded_keywords, row.loaded_statuses = by_filter[row.pk]
            row.patterns = [(keyword.keyword, _pattern(keyword)) for keyword in row.loaded_keywords]
    return found


def _pattern(keyword: FilterKeyword) -> re.Pattern:
    text = re.escape(keyword.keyword)
    if keyword.whole_word:
        if re.match(r"\w", keyword.keyword):
            text = r"\b" + text
        if re.search(r"\w$", keyword.keyword):
            text = text + r"\b"
    return re.compile(text, re.IGNORECASE)


def matches(rules: list[Filter], row: Status) -> list[Match]:
    """What of `rules` matches `row` (or, for a repost, the post it reposts)."""
    shown = row.reblog_of if row.reblog_of_id is not None else row
    text = f"{shown.spoiler_text}\n{shown.text}"
    found = []
    for rule in rules:
        words = [keyword for keyword, pattern in rule.patterns if pattern.search(text)]
        statuses = [item.status_id for item in rule.loaded_statuses if item.status_id in (row.pk, shown.pk)]
        if words or statuses:
            found.append(Match(rule, words, statuses))
    return found
