"""Polls: made with a status, voted in by paid members, ended by the clock.

Rules, as in Mastodon: 2 to 4 options of at most 50 characters; open from 5
minutes to a month; one choice, or several when `multiple`; one vote per
account, never changed; no vote in one's own poll nor in an ended one.
Voting is a write others see, so it needs a paid membership.

Tallies are kept on the Poll row by `vote`, under a row lock, so timelines
read them without counting votes. With `hide_totals` they are withheld from
everyone until the poll ends (Mastodon's API does the same; its apps also
hide results from a viewer until they have voted, which the entity's
`voted` lets them do).

When a poll ends, its author and everyone who voted get a `poll`
notification. That is done by a Huey task every minute
(`obole.posts.tasks.notify_ended_polls`, stepped in tests with
`notify_ended`): the poll row is the record (`ended_notified`, claimed with a
conditional UPDATE), so a lost or doubled run notifies no one twice and
no one never.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

from obole.accounts.models import Account
from obole.lib.errors import NotFound, UserError
from obole.lib.snowflake import parse_id
from obole.membership.permissions import require_write
from obole.posts.access import get_status_for_viewer
from obole.posts.models import Notification, Poll, PollVote, Status
from obole.posts.notify import notify

MAX_OPTIONS = 4
MAX_OPTION_CHARS = 50
MIN_EXPIRATION = 300  # seconds
MAX_EXPIRATION = 2_629_746  # a month
ENDED_BATCH = 500


@dataclass(frozen=True)
class PollSpec:
    options: list[str]
    expires_in: int
    multiple: bool = False
    hide_totals: bool = False


def spec(options: object, expires_in: object, multiple: bool = False, hide_totals: bool = False) -> PollSpec:
    """A checked poll to create; UserError (422) says what is wrong."""
    if not isinstance(options, list) or not all(isinstance(o, str) for o in options):
        raise UserError("poll[options] must be a list of texts.")
    options = [option.strip() for option in options]
    if not 2 <= len(options) <= MAX_OPTIONS:
        raise UserError(f"A poll must have between 2 and {MAX_OPTIONS} options.")
    if any("\x00" in option for option in options):
        raise UserError("Poll options must not contain NUL characters.")
    if any(not option for option in options):
        raise UserError("Poll options cannot be blank.")
    if any(len(option) > MAX_OPTION_CHARS for option in options):
        raise UserError(f"Poll options may be at most {MAX_OPTION_CHARS} characters long.")
    if len(set(options)) != len(options):
        raise UserError("Poll options must differ from each other.")
    try:
        seconds = int(str(expires_in))
    except ValueError:
        raise UserError("poll[expires_in] must be a number of seconds.") from None
    if not MIN_EXPIRATION <= seconds <= MAX_EXPIRATION:
        raise UserError(f"A poll must last between {MIN_EXPIRATION} and {MAX_EXPIRATION} seconds.")
    return PollSpec(options=options, expires_in=seconds, multiple=multiple, hide_totals=hide_totals)


def create(status: Status, poll: PollSpec, now: datetime) -> Poll:
    """Inside the post's transaction."""
    Status.objects.filter(pk=status.pk).update(has_poll=True)
    status.has_poll = True
    return Poll.objects.create(
        status=status,
        options=poll.options,
        votes=[0] * len(poll.options),
        multiple=poll.multiple,
        hide_totals=poll.hide_totals,
        expires_at=now + timedelta(seconds=poll.expires_in),
    )


def expired(poll: Poll, now: datetime | None = None) -> bool:
    return poll.expires_at <= (now or timezone.now())


def visible_poll(viewer: Account | None, poll_id: object) -> Poll:
    """The poll, if its status is one the viewer may see; else 404, as for the status."""
    try:
        poll = Poll.objects.get(pk=parse_id(poll_id))
    except Poll.DoesNotExist:
        raise NotFound("Record not found") from None
    get_status_for_viewer(viewer, poll.status_id)
    return poll


def vote(account: Account, poll_id: object, choices: list[str], now: datetime | None = None) -> Poll:
    """Cast `account`'s vote; answers the poll with its new tallies."""
    now = now or timezone.now()
    require_write(account, now)
    poll = visible_poll(account, poll_id)
    try:
        picked = sorted({int(choice) for choice in choices})
    except (TypeError, ValueError):
        raise UserError("choices must be the numbers of options, counted from 0.") from None
    if not picked:
        raise UserError("Choose at least one option.")
    if any(not 0 <= choice < len(poll.options) for choice in picked):
        raise UserError("choices must be the numbers of options, counted from 0.")
    if len(picked) > 1 and not poll.multiple:
        raise UserError("This poll allows one choice only.")
    if poll.status.account_id == account.pk:
        raise UserError("You cannot vote in your own poll.")
    try:
        with transaction.atomic():
            # The lock orders concurrent voters, so each recount sees every earlier vote.
            poll = Poll.objects.select_for_update().get(pk=poll.pk)
            if expired(poll, now):
                raise UserError("This poll has already ended.")
            if PollVote.objects.filter(poll=poll, account=account).exists():
                raise UserError("You have already voted in this poll.")
            PollVote.objects.bulk_create(
                [PollVote(poll=poll, account=account, choice=c, created_at=now) for c in picked]
            )
            tallies = dict(
                PollVote.objects.filter(poll=poll).values_list("choice").annotate(n=Count("id")).order_by()
            )
            poll.votes = [tallies.get(index, 0) for index in range(len(poll.options))]
            poll.votes_count = sum(poll.votes)
            poll.voters_count += 1
            poll.save(update_fields=["votes", "votes_count", "voters_count"])
    except IntegrityError:
        raise UserError("You have already voted in this poll.") from None
    return poll


def own_votes(viewer: Account | None, polls: list[Poll]) -> dict[int, list[int]]:
    """The viewer's choices in each of `polls`, in one query."""
    if viewer is None or not polls:
        return {}
    found: dict[int, list[int]] = {}
    rows = PollVote.objects.filter(account=viewer, poll_id__in=[poll.pk for poll in polls])
    for poll_id, choice in rows.order_by("choice").values_list("poll_id", "choice"):
        found.setdefault(poll_id, []).append(choice)
    return found


def notify_ended(now: datetime | None = None) -> int:
    """Tell the author and the voters of every poll that has ended and was not told yet.

    Returns how many polls were announced."""
    now = now or timezone.now()
    due = Poll.objects.filter(ended_notified=False, expires_at__lte=now).order_by("expires_at")
    done = 0
    for poll_id in list(due.values_list("pk", flat=True)[:ENDED_BATCH]):
        with transaction.atomic():
            # Whoever flips the flag notifies; a run beside this one skips the poll.
            if not Poll.objects.filter(pk=poll_id, ended_notified=False).update(ended_notified=True):
                continue
            poll = Poll.objects.select_related("status__account").get(pk=poll_id)
            author = poll.status.account
            Notification.objects.create(
                recipient=author, from_account=author, type=Notification.Type.POLL, status=poll.status,
                created_at=now,
            )  # fmt: skip
            voters = PollVote.objects.filter(poll=poll).values_list("account_id", flat=True).distinct()
            for voter_id in voters:
                notify(voter_id, author, Notification.Type.POLL, poll.status, now)
            done += 1
    return done
