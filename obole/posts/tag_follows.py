"""Followed hashtags: a member follows #name and its public posts come into their home timeline.

Following is a write (docs/architecture.md rule 2): each followed hashtag
costs a fan-out write per post, so it needs a paid membership like following
an account; unfollowing never does. Following a hashtag nobody has used yet
makes it, as on Mastodon. The posts are written in by the fan-out
(obole.posts.fanout, with `tag_audience` of obole.posts.timelines): public
posts only, not reposts, never to someone who mutes or blocks the author (or
is blocked by them). Posts made before the follow are not merged in, and
unfollowing leaves the posts already delivered.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet, Value

from obole.accounts.models import Account
from obole.lib.errors import NotFound, UserError
from obole.membership.permissions import require_write
from obole.posts import text
from obole.posts.models import Tag, TagFollow

# A bound on the fan-out one member can ask for.
MAX_FOLLOWED_TAGS = 100
TAG_MAX = Tag._meta.get_field("name").max_length


def normalized(name: str) -> str:
    return name.strip().removeprefix("#").lower()


def find(name: str, viewer: Account | None = None) -> Tag:
    """An existing hashtag by name (any case, with or without #), with `following` for `viewer`;
    NotFound otherwise."""
    tag = with_following(Tag.objects.filter(name=normalized(name)), viewer).first()
    if tag is None:
        raise NotFound("Record not found")
    return tag


def follow(account: Account, name: str, now: datetime | None = None) -> Tag:
    require_write(account, now)
    wanted = normalized(name)
    if len(wanted) > TAG_MAX or text.hashtags(f"#{wanted}") != [wanted]:
        raise UserError(f"#{name} is not a hashtag: use letters, digits and underscores.")
    Tag.objects.bulk_create([Tag(name=wanted)], ignore_conflicts=True)
    tag = Tag.objects.get(name=wanted)
    with transaction.atomic():
        # The account's row keeps two concurrent follows from passing the limit together.
        Account.objects.select_for_update().filter(pk=account.pk).first()
        followed = TagFollow.objects.filter(account=account)
        if not followed.filter(tag=tag).exists():
            if followed.count() >= MAX_FOLLOWED_TAGS:
                raise UserError(f"You can follow at most {MAX_FOLLOWED_TAGS} hashtags.")
            TagFollow.objects.create(account=account, tag=tag)
    return tag


def unfollow(account: Account, name: str) -> Tag:
    tag = find(name)
    TagFollow.objects.filter(account=account, tag=tag).delete()
    return tag


def followed(account: Account) -> QuerySet[TagFollow]:
    """`account`'s followed hashtags, with their tags; unordered."""
    return TagFollow.objects.filter(account=account).select_related("tag")


def with_following(tags: QuerySet[Tag], account: Account | None) -> QuerySet[Tag]:
    """`tags`, each with `following`: whether `account` follows it (in the same query)."""
    if account is None:
        return tags.annotate(following=Value(False))
    return tags.annotate(following=Exists(TagFollow.objects.filter(account=account, tag=OuterRef("pk"))))
