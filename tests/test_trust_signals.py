"""Behaviour signals, the bot score and the automatic actions; `obole trust stats`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from obole.accounts.graph import follow
from obole.accounts.models import Account
from obole.posts.services import post_status
from obole.trust import posting, scoring, signals, tasks
from obole.trust.models import AuditEntry, Report, Standing
from tests.conftest import make_account

pytestmark = pytest.mark.django_db

PITCH = "Earn {n} dollars a day from home with this one simple trick, sign up at cash.example today"
ORDINARY = [
    "Morning walk by the river, the herons are back",
    "Anyone read the new Le Guin biography? Worth it?",
    "Bread did not rise again. Third time this week.",
    "Our choir sings on Saturday at the town hall, come along",
    "Finally fixed the bike brakes myself",
    "Rain all day; a good day for soup and a long book",
]


@pytest.fixture
def immediate():
    """Run Huey tasks in the calling thread, as the worker would."""
    HUEY.immediate = True
    yield
    HUEY.immediate = False


def explanation(account) -> dict:
    standing = Standing.objects.get(pk=account.pk)
    return {row["signal"]: row for row in standing.signals}


def test_a_ring_of_paid_accounts_posting_near_identical_text_is_flagged_within_a_minute(immediate):
    start = timezone.now()
    ring = [make_account(f"ring{i}", paid=True, now=start - timedelta(days=1)) for i in range(4)]
    ordinary = make_account("ordinary", paid=True, now=start - timedelta(days=1))
    for i, account in enumerate(ring):
        post_status(account, PITCH.format(n=200 + i), now=start + timedelta(seconds=i))
    post_status(ordinary, ORDINARY[0], now=start)
    # The worker's every-minute sweep, run here at once.
    tasks.scheduled_scoring.call_local()
    for account in ring:
        flag = Report.objects.get(target=account, reporter=None)
        assert flag.source == "bot score" and flag.created_at - start < timedelta(minutes=1)
        assert explanation(account)["near_duplicate"]["value"] == 3
    assert Report.objects.filter(target=ordinary).count() == 0
    assert Standing.objects.get(pk=ordinary.pk).score == 0
    # The marks are claimed: a second sweep has nothing to do.
    assert scoring.run_once(timezone.now()) == 0


def test_machine_regular_cadence_fires_and_a_human_rhythm_does_not():
    # False positives: scheduled posting tools (a weather station, a news feed).
    start = timezone.now() - timedelta(hours=2)
    bot = make_account("clockwork", paid=True, now=start - timedelta(days=1))
    human = make_account("human", paid=True, now=start - timedelta(days=1))
    for i in range(8):
        post_status(bot, f"tick number {i} from the bot", now=start + timedelta(minutes=10 * i))
        post_status(
            human, ORDINARY[i % len(ORDINARY)] + f" ({i})", now=start + timedelta(minutes=7 * i * i + 3 * i)
        )
    now = start + timedelta(hours=2)
    assert signals.regular_cadence(bot, now).name == "regular_cadence"
    assert signals.regular_cadence(human, now) is None


def test_bursts_of_follows_and_mentions_fire(settings):
    # False positives: a newcomer importing a follow list, or a thank-you post naming many.
    settings.OBOLE_RATE_LIMIT_FOLLOWS = 0
    now = timezone.now()
    crowd = [make_account(f"c{i}") for i in range(6)]
    burst = make_account("burst", paid=True, now=now - timedelta(days=1))
    for target in crowd:
        follow(burst, target, now=now)
    assert signals.follow_burst(burst, now + timedelta(seconds=1), limit=6).value == 6
    assert signals.follow_burst(burst, now + timedelta(seconds=1), limit=7) is None
    post_status(burst, " ".join(f"@{a.username}" for a in crowd) + " look at this", now=now)
    assert signals.mention_burst(burst, now + timedelta(seconds=1), limit=6).value == 6
    quiet = make_account("quiet", paid=True, now=now - timedelta(days=1))
    assert signals.follow_burst(quiet, now) is None and signals.mention_burst(quiet, now) is None


def test_link_heavy_first_posts_fire_and_ordinary_first_posts_do_not():
    # False positives: a blogger or journalist who starts by sharing their articles.
    now = timezone.now()
    linker = make_account("linker", paid=True, now=now - timedelta(days=1))
    for i in range(4):
        post_status(linker, f"great deal https://deals.example/{i}", now=now + timedelta(minutes=i))
    assert signals.link_heavy_start(linker, now).value == 4
    writer = make_account("writer", paid=True, now=now - timedelta(days=1))
    for i, text in enumerate(ORDINARY[:4]):
        post_status(writer, text, now=now + timedelta(minutes=i))
    assert signals.link_heavy_start(writer, now) is None


def test_many_accounts_on_one_network_fire(settings):
    # False positives: a campus, an office or a mobile carrier's NAT.
    from obole.accounts.services import create_account
    from tests.conftest import PASSWORD

    accounts = [create_account(f"n{i}", PASSWORD, ip=f"203.0.113.{i + 1}") for i in range(5)]
    lone = create_account("lone", PASSWORD, ip="198.51.100.1")
    assert signals.crowded_network(accounts[0], timezone.now()).value == 5
    assert signals.crowded_network(lone, timezone.now()) is None


def test_thresholds_throttle_and_hold_automatically_and_nothing_is_deleted(settings):
    settings.OBOLE_BOT_SCORE_THROTTLE = 40
    settings.OBOLE_BOT_SCORE_HOLD = 40
    settings.OBOLE_THROTTLED_POSTS_PER_HOUR = 2
    now = timezone.now()
    ring = [make_account(f"r{i}", paid=True, now=now - timedelta(days=1)) for i in range(3)]
    for i, account in enumerate(ring):
        post_status(account, PITCH.format(n=i), now=now)
    scoring.run_once(now)
    standing = Standing.objects.get(pk=ring[0].pk)
    assert standing.score >= 40 and standing.throttled_at and standing.holding_at
    assert set(AuditEntry.objects.filter(actor=None).values_list("action", flat=True)) == {
        "throttle",
        "hold_account",
    }
    held = post_status(ring[0], "a new post after the hold", now=now)
    assert held.moderation == "held"
    post_status(ring[0], "and another", now=now)
    with pytest.raises(posting.Throttled):
        post_status(ring[0], "one too many", now=now)
    assert Account.objects.filter(pk__in=[a.pk for a in ring]).count() == 3
    assert all(s.account.statuses.count() >= 1 for s in Standing.objects.select_related("account"))


def test_trust_stats_prints_hits_per_rule_flags_and_actions(settings):
    settings.OBOLE_SIGNUPS_PER_IP = 1
    from obole.accounts.services import create_account
    from tests.conftest import PASSWORD

    create_account("first", PASSWORD, ip="203.0.113.1")
    with pytest.raises(Exception, match="Too many"):
        create_account("second", PASSWORD, ip="203.0.113.1")
    out = StringIO()
    call_command("trust", "stats", "--json", stdout=out)
    report = json.loads(out.getvalue())
    assert report["rules"]["signups_per_ip"]["total"] == 1
    out = StringIO()
    call_command("trust", "stats", "--since", "3d", stdout=out)
    assert "signups_per_ip" in out.getvalue() and "Automatic flags" in out.getvalue()


def test_the_staff_dashboard_shows_hits_per_rule_with_a_chart(settings):
    from django.test import Client

    from obole.accounts.services import create_account
    from tests.conftest import PASSWORD

    settings.OBOLE_SIGNUPS_PER_IP = 1
    create_account("first", PASSWORD, ip="203.0.113.1")
    with pytest.raises(Exception, match="Too many"):
        create_account("second", PASSWORD, ip="203.0.113.1")
    staff = make_account("sam")
    staff.is_staff = True
    staff.save()
    client = Client()
    client.force_login(staff, backend="obole.accounts.backends.UsernameOrEmailBackend")
    page = client.get("/staff/trust").content.decode()
    assert "<svg" in page and "<script" not in page.split("</head>")[1]
    assert "signups_per_ip" in page and "1 rule hits" in page


def test_posting_makes_the_standing_once_then_marks_it_for_scoring(db):
    account = make_account("fresh", paid=True)
    assert not Standing.objects.filter(pk=account.pk).exists()
    first = datetime(2026, 11, 25, 8, tzinfo=UTC)
    posting.touched(account.pk, first)
    made = Standing.objects.get(pk=account.pk)
    assert (made.score, made.signals, made.dirty_at) == (0, [], first)
    Standing.objects.filter(pk=account.pk).update(score=40, dirty_at=None)
    posting.touched(account.pk, first + timedelta(minutes=5))
    marked = Standing.objects.get(pk=account.pk)
    assert (marked.score, marked.dirty_at) == (40, first + timedelta(minutes=5))  # the score is kept
