"""`obole demo`: the seeded network is real — states, counters, timelines, threads, notifications."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Q

from obole.accounts.models import Account, Follow
from obole.membership import states
from obole.membership.models import Invoice, LedgerEntry, MembershipEvent
from obole.membership.models import invoice as inv
from obole.membership.permissions import can_write
from obole.posts import demo
from obole.posts.models import Favourite, Mention, Notification, Status, StatusTag
from obole.posts.timelines import store
from tests.conftest import NOW, obole

SMALL = {"members": 20, "days": 3, "seed": 7, "now": NOW}


@pytest.fixture
def network(db) -> demo.Summary:
    return demo.seed(**SMALL)


def members_in(state: str) -> list[Account]:
    return list(Account.objects.filter(membership__state=state))


def test_the_network_has_paid_unpaid_and_lapsed_members_in_their_states(network):
    assert network.members == Account.objects.count() == 20
    assert (network.paid, network.unpaid, network.lapsed) == (17, 2, 1)
    assert len(members_in(states.ACTIVE)) == network.paid
    assert len(members_in(states.PENDING_PAYMENT)) == network.unpaid
    assert len(members_in(states.LAPSED)) == network.lapsed
    for account in members_in(states.ACTIVE):
        assert LedgerEntry.objects.filter(account=account, kind="charge").exists()
        assert account.membership.payment_method.last4 != "0341"
    for account in members_in(states.PENDING_PAYMENT):
        assert not LedgerEntry.objects.filter(account=account).exists()


def test_lapsed_members_got_there_through_failed_renewals(network):
    for account in members_in(states.LAPSED):
        transitions = list(
            MembershipEvent.objects.filter(membership_id=account.pk).values_list("transition", flat=True)
        )
        assert transitions == ["activate", "mark_past_due", "lapse"]
        renewal = Invoice.objects.get(membership_id=account.pk, kind=inv.RENEWAL)
        assert (renewal.status, renewal.last_error) == (inv.FAILED, "card_declined")
        assert not can_write(account, NOW)


def test_follow_and_status_counters_match_the_rows(network):
    assert Follow.objects.count() == network.follows > 0
    for account in Account.objects.all():
        assert account.followers_count == Follow.objects.filter(target=account).count()
        assert account.following_count == Follow.objects.filter(follower=account).count()
        # The services count posts and replies, not reposts.
        assert account.statuses_count == Status.objects.filter(account=account, reblog_of=None).count()
    for status in Status.objects.filter(reblog_of=None):
        assert status.favourites_count == Favourite.objects.filter(status=status).count()
        assert status.reblogs_count == Status.objects.filter(reblog_of=status).count()
        assert status.replies_count == Status.objects.filter(in_reply_to=status).count()


def test_a_few_popular_accounts_are_followed_by_most_while_most_follow_10_to_40(db):
    demo.seed(members=80, days=1, now=NOW)
    writers = members_in(states.ACTIVE)
    followers = sorted((a.followers_count for a in writers), reverse=True)
    assert followers[0] >= 0.8 * len(writers)
    assert followers[0] >= 2 * followers[len(followers) // 2]
    following = sorted(a.following_count for a in writers)
    assert 10 <= following[len(following) // 2] <= 40


def test_followers_home_timelines_hold_the_posts_of_the_accounts_they_follow(network):
    checked = 0
    for follow in Follow.objects.all():
        posts = Status.objects.filter(
            account_id=follow.target_id,
            reblog_of=None,
            in_reply_to=None,
            visibility__in=["public", "private"],
        ).values_list("id", flat=True)
        home = set(store().page(follow.follower_id, limit=10**6))
        assert set(posts) <= home
        checked += len(posts)
    assert checked > 0


def test_replies_point_at_earlier_posts_and_name_their_author(network):
    replies = Status.objects.exclude(in_reply_to=None).select_related("in_reply_to__account")
    assert replies.count() == network.replies > 0
    for reply in replies:
        parent = reply.in_reply_to
        assert parent.id < reply.id
        assert parent.created_at <= reply.created_at
        assert reply.in_reply_to_account_id == parent.account_id
        assert reply.text.startswith(f"@{parent.account.username} ")


def test_posts_are_spread_over_the_days_in_the_order_of_their_ids(network):
    rows = list(Status.objects.order_by("id").values_list("created_at", flat=True))
    assert rows == sorted(rows)
    assert rows[0] >= NOW - timedelta(days=3)
    assert rows[-1] < NOW
    assert len({moment.date() for moment in rows}) >= 3


def test_mentions_likes_reposts_and_follows_notify(network):
    kinds = Counter(Notification.objects.values_list("type", flat=True))
    assert set(kinds) == {"follow", "favourite", "mention", "reblog"}
    assert kinds["favourite"] == Favourite.objects.count() == network.likes
    assert kinds["reblog"] == Status.objects.exclude(reblog_of=None).count() == network.reposts
    for mention in Mention.objects.all():
        assert Notification.objects.filter(
            recipient=mention.account, type="mention", status=mention.status
        ).exists()


def test_recurring_topics_are_hashtags_on_many_posts(network):
    tags = Counter(StatusTag.objects.values_list("tag__name", flat=True))
    assert len(tags) >= 5
    assert set(tags) <= set(demo.TOPICS)
    assert max(tags.values()) >= 3


def test_nobody_unpaid_or_lapsed_has_written(network):
    readers = Account.objects.filter(membership__state__in=[states.PENDING_PAYMENT, states.LAPSED])
    assert readers.exists()
    assert not Status.objects.filter(account__in=readers).exists()
    assert not Favourite.objects.filter(account__in=readers).exists()
    assert not Follow.objects.filter(Q(follower__in=readers) | Q(target__in=readers)).exists()
    assert not Notification.objects.filter(from_account__in=readers).exists()


def test_the_demo_member_can_log_in_and_has_a_living_home_timeline(network):
    account = authenticate(username="demo", password=network.password)
    assert account is not None
    assert can_write(account, NOW)
    assert account.following_count > 0
    assert len(store().page(account.pk, limit=20)) == 20
    others = Account.objects.exclude(pk=account.pk)
    assert not any(other.has_usable_password() for other in others)


def test_a_second_run_does_nothing(network):
    with pytest.raises(demo.AlreadySeeded):
        demo.seed(**SMALL)
    assert Account.objects.count() == 20


def test_the_same_seed_makes_the_same_network_and_another_seed_another(db):
    def texts(seed: int) -> list[tuple[str, str]]:
        class Undo(Exception):
            pass

        try:
            with transaction.atomic():
                demo.seed(**{**SMALL, "seed": seed})
                rows = list(Status.objects.order_by("id").values_list("account__username", "text"))
                raise Undo
        except Undo:
            return rows

    first = texts(7)
    assert texts(7) == first
    assert texts(8) != first


def test_the_command_refuses_sizes_it_cannot_make(db):
    with pytest.raises(CommandError, match="--members"):
        call_command("demo", members=2, no_migrate=True)
    with pytest.raises(CommandError, match="--days"):
        call_command("demo", days=0, no_migrate=True)
    assert not Account.objects.exists()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_command_seeds_once_and_prints_how_to_log_in(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]  # as the command used
    first = obole("demo", "--members", "12", "--days", "2")
    out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert "12 members" in out
    assert "username: demo" in out
    password = out.split("password: ", 1)[1].split()[0]
    assert authenticate(username="demo", password=password) is not None

    second = obole("demo", "--members", "12", "--days", "2")
    out, err = second.communicate(timeout=120)
    assert second.returncode == 0, err
    assert "already" in out
    assert Account.objects.count() == 12
