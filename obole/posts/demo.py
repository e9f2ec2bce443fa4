"""`obole demo`: seed a believable network that a newcomer can open and explore.

Everything goes through the real code paths, in the order it would have
happened, so the network is real rather than painted on:

1. Members sign up (names, bios and interests drawn from the word lists below
   by a random generator seeded with `seed`) and most of them pay through the
   sandbox provider (`membership.services.pay`), each with a card of its own.
   Some never pay (pending_payment; a few after a declined card). A few lapse:
   they paid, switched to the sandbox card that attaches but fails when
   charged, and the billing run "as of" the days after their period ended
   retried and gave up (`membership.billing.run`).
2. Paying members follow each other through `accounts.graph.follow`, with the
   skew of real networks: a few accounts are followed by most, most follow
   10–40, and some follows are returned.
3. Over the past `days` days, oldest first (ids are time-ordered at creation),
   members post on a dozen recurring topics, reply to what they read and to
   whoever answered them, mention friends, like, repost and now and then
   follow someone new — all through `posts.services` and `graph.follow` with
   `now=` set to that moment, so home timelines, mentions, hashtags and
   notifications are the real thing. Billing runs at each day's start, so
   renewals land on their day.

One member, `demo`, gets a generated password, returned once in the summary,
so the newcomer can log in at once; its presence marks a seeded database and
a second run does nothing. The whole run is one transaction: a run that fails
leaves nothing behind.

The made-up members are created without `create_account`'s password hashing,
with an unusable password: hashing 150 passwords would take a minute, and
nobody logs in as them.
"""

from __future__ import annotations

import contextlib
import math
import random
import secrets
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone

from obole.accounts import graph
from obole.accounts.models import Account, Follow
from obole.accounts.services import create_account
from obole.accounts.validators import RESERVED_USERNAMES, USERNAME_MAX_LENGTH
from obole.membership import billing, states
from obole.membership import services as membership
from obole.membership.cards import luhn_valid
from obole.membership.errors import MembershipError
from obole.membership.models import Membership
from obole.membership.providers.sandbox import SandboxCard
from obole.posts import fanout, services
from obole.posts.models import Notification, Visibility

T = TypeVar("T")

DEMO_USERNAME = "demo"
# Sandbox test cards (Stripe's table): declined when attached; attached but failing every charge.
DECLINED_CARD = "4000000000000002"
FAILS_ON_CHARGE_CARD = "4000000000000341"

# --- the word lists ---------------------------------------------------------

FIRST_NAMES = (
    "Amelia", "Ana", "Arjun", "Aiko", "Bea", "Ben", "Carlos", "Chloe", "Dara", "David", "Elif", "Emil",
    "Farah", "Felix", "Grace", "Hana", "Hugo", "Ines", "Isaac", "Jonas", "Julia", "Kai", "Kemi", "Lars",
    "Leila", "Lena", "Luca", "Maya", "Malik", "Marta", "Nadia", "Niko", "Noor", "Olga", "Omar", "Paula",
    "Priya", "Quinn", "Rafael", "Rosa", "Sam", "Sana", "Sofia", "Tariq", "Tess", "Theo", "Uma", "Vera",
    "Wei", "Yara", "Yusuf", "Zoe", "Ada", "Bruno", "Cleo", "Dmitri", "Eva", "Femi", "Gus", "Ivy",
)  # fmt: skip
LAST_NAMES = (
    "Abbott", "Adeyemi", "Bauer", "Berg", "Castro", "Chen", "Costa", "Dubois", "Eriksen", "Ferreira",
    "Fischer", "Garcia", "Haddad", "Hansen", "Ito", "Jansen", "Kaur", "Keller", "Kim", "Kowalski",
    "Larsen", "Lopez", "Martin", "Moreau", "Mwangi", "Nakamura", "Novak", "Okafor", "Olsen", "Park",
    "Patel", "Petrov", "Quinn", "Rossi", "Santos", "Schmidt", "Silva", "Singh", "Tanaka", "Torres",
    "Varga", "Vogel", "Walsh", "Weber", "Yilmaz", "Zhang",
)  # fmt: skip
ROLES = (
    "Teacher", "Nurse", "Developer", "Librarian", "Student", "Retired engineer", "Designer", "Barista",
    "Carpenter", "Researcher", "Nurse on nights", "Translator", "Bookseller", "Paramedic", "Architect",
    "Data analyst", "Chef", "Parent of two", "Bus driver", "Physicist",
)  # fmt: skip
CITIES = (
    "Lyon", "Leeds", "Porto", "Ghent", "Oslo", "Kraków", "Bologna", "Nairobi", "Osaka", "Montréal",
    "Valencia", "Tartu", "Bristol", "Lagos", "Pune", "Graz", "Halifax", "Dunedin", "Tromsø", "Utrecht",
)  # fmt: skip

# A dozen recurring topics, each with its hashtag, a line for bios, post
# templates and the words that fill their {slots}.
TOPICS: dict[str, dict] = {
    "gardening": {
        "bio": "Grows too many tomatoes.",
        "posts": (
            "The {plant} finally came up after two weeks of rain.",
            "First {plant} of the season from the balcony. Small, but mine.",
            "Anyone else fighting slugs on their {plant}?",
            "Spent the morning repotting the {plant}. My back disagrees.",
            "Tip: water your {plant} in the evening, not at noon.",
            "Seed swap at the {place} on Saturday. Bringing seeds of {plant}.",
        ),
        "plant": ("tomatoes", "basil", "sweet peas", "dahlias", "courgettes", "strawberries", "lavender"),
    },
    "coffee": {
        "bio": "Coffee nerd.",
        "posts": (
            "Trying a {bean} on the {method} this morning. {taste}",
            "Ground too fine again. The {method} is judging me.",
            "Found a tiny café near the {place} that does a proper {drink}.",
            "Third {drink} today and it is not even noon.",
            "Dialled in the {method} at last: {taste}",
        ),
        "bean": ("washed Ethiopian", "natural Kenyan", "Colombian decaf", "Guatemalan", "Sumatran"),
        "method": ("V60", "AeroPress", "moka pot", "French press", "espresso machine"),
        "drink": ("flat white", "cortado", "espresso", "cold brew", "filter coffee"),
        "taste": ("Bright, almost like tea.", "Chocolate and cherries.", "Too bitter; coarser tomorrow."),
    },
    "cycling": {
        "bio": "Rides bikes, fixes bikes.",
        "posts": (
            "{km} km along the {route} before work. Legs are complaining.",
            "Finally fixed the squeaky {part}. Silence at last.",
            "Headwind both ways on the {route}. How is that even possible?",
            "A month of commuting by bike: fitter, calmer, always a bit damp.",
            "New {part} fitted. Off to test it on the {route}.",
        ),
        "route": ("river path", "canal towpath", "coast road", "old railway line", "ring road"),
        "part": ("chain", "brake pads", "bottom bracket", "rear derailleur", "saddle"),
    },
    "photography": {
        "bio": "Takes pictures of ordinary things.",
        "posts": (
            "Golden hour by the {place} tonight. Shot on a {camera}.",
            "Went out with only a {lens} today. Constraints help.",
            "Developing my first roll of {film} this weekend. Fingers crossed.",
            "Fog over the {place} this morning. Worth the early alarm.",
        ),
        "camera": ("thirty-year-old Pentax", "phone", "borrowed Leica", "Fuji X100"),
        "lens": ("35mm", "50mm prime", "tiny pancake lens", "90mm macro"),
        "film": ("Portra 400", "HP5", "Ektar 100", "Tri-X"),
    },
    "books": {
        "bio": "Always halfway through a novel.",
        "posts": (
            "Halfway through {book} and I cannot put it down.",
            "Finished {book}. Still thinking about the ending.",
            "What should I read after {book}?",
            "Library haul: {book} and two I picked for the covers.",
            "Rereading {book} for the book club at the {place}.",
        ),
        "book": (
            "Middlemarch",
            "The Left Hand of Darkness",
            "Piranesi",
            "Persuasion",
            "The Dispossessed",
            "Moby-Dick",
            "The Remains of the Day",
            "Frankenstein",
        ),
    },
    "cooking": {
        "bio": "Cooks for friends whenever possible.",
        "posts": (
            "Made {dish} from scratch tonight. Worth the washing-up.",
            "Secret to good {dish}: more patience than you think.",
            "Batch-cooking {dish} for the week. The kitchen smells amazing.",
            "Tried a new {dish} recipe. Half a success.",
        ),
        "dish": ("dal", "risotto", "ramen", "shakshuka", "lasagne", "pho", "pierogi", "jollof rice"),
    },
    "music": {
        "bio": "Plays the {instrument}, badly.",
        "posts": (
            "On repeat today: {genre} from the {decade}.",
            "Learning a new piece on the {instrument}. Slowly.",
            "Saw a {genre} band at the {place} last night. Ears still ringing.",
            "Found my old {instrument} in the attic. Time to restring it.",
        ),
        "genre": ("jazz", "folk", "post-rock", "afrobeat", "baroque", "city pop"),
        "decade": ("sixties", "seventies", "eighties", "nineties"),
        "instrument": ("cello", "guitar", "piano", "ukulele", "trumpet"),
    },
    "running": {
        "bio": "Slow runner, happy runner.",
        "posts": (
            "{km} km easy run along the {route}. Felt good.",
            "Signed up for a {race}. What have I done.",
            "Rest day. Foam roller and regrets.",
            "Intervals this morning. Never again (until Thursday).",
        ),
        "race": ("half marathon", "10k", "trail race", "parkrun"),
        "route": ("river path", "park loop", "seafront", "hill behind the house"),
    },
    "opensource": {
        "bio": "Maintains a few small open-source things.",
        "posts": (
            "Merged my first pull request to {project}!",
            "Spent the evening triaging issues on {project}. Be kind to maintainers.",
            "Released a new version of {project}. Changelog in the repository.",
            "Hot take: good docs matter more than clever code.",
            "Our CI went green after three days. Celebrating quietly.",
        ),
        "project": ("a small Django app", "a Rust command-line tool", "our static site generator"),
    },
    "birds": {
        "bio": "Counts birds on the way to work.",
        "posts": (
            "A {bird} at the feeder this morning!",
            "Heard a {bird} by the {place}, never saw it.",
            "Counted {n} species on the walk today.",
            "The {bird}s are back. Spring is coming.",
        ),
        "bird": ("robin", "wren", "kingfisher", "goldfinch", "heron", "woodpecker", "nuthatch"),
    },
    "baking": {
        "bio": "Feeds a sourdough starter called Gerald.",
        "posts": (
            "Sourdough attempt number {n}: better crumb, same burnt thumb.",
            "Baked {bake} for the neighbours.",
            "The starter is alive and bubbling. We live to bake another day.",
            "Rainy Sunday, so: {bake}.",
        ),
        "bake": ("cinnamon buns", "focaccia", "rye bread", "a lemon tart", "croissants", "banana bread"),
    },
    "hiking": {
        "bio": "Happiest above the tree line.",
        "posts": (
            "{km} km on the {trail} today. Views worth every step.",
            "Packed for a two-day hike in the {hills}.",
            "Muddy boots, happy heart.",
            "Clouds rolled in on the {trail}, and it was still lovely.",
        ),
        "trail": ("ridge trail", "coast path", "old pilgrims' way", "lake circuit"),
        "hills": ("hills", "mountains", "national park", "highlands"),
    },
}
COMMON_WORDS = {
    "place": ("station", "river", "market", "old library", "harbour", "park", "community hall"),
    "km": tuple(str(n) for n in (5, 8, 12, 15, 21, 30, 42)),
    "n": tuple(str(n) for n in range(3, 30)),
    "instrument": TOPICS["music"]["instrument"],
    "route": TOPICS["cycling"]["route"],
}
OPENERS = ("", "", "", "", "Morning! ", "Small joy: ", "Update: ", "Honestly, ", "PSA: ")
REPLIES = (
    "Love this!",
    "Ha, same here.",
    "Where was this?",
    "Totally agree.",
    "I tried that last week. No regrets.",
    "Thanks for sharing!",
    "This made my morning.",
    "Do you have a link?",
    "Ooh, tell me more.",
    "Respect.",
    "Not sure I agree, but I see your point.",
    "Good luck with it!",
    "We should do this together sometime.",
    "Saving this for later.",
    "How long did that take you?",
)
PASSWORD_WORDS = ("basil", "heron", "focaccia", "cortado", "lavender", "nuthatch", "tartu", "canal", "ridge")

BULK = 500
# How often members do things, on average per day (scaled by each member's activity).
LIKES_PER_POST = 1.2
REPOSTS_PER_POST = 0.12
NEW_FOLLOW_CHANCE = 0.06  # per member and day
# Hours of the day (UTC) weighted by how busy a network is then.
HOURS = (1, 0.5, 0.3, 0.2, 0.2, 0.4, 1, 2, 3, 3, 3, 3, 3.5, 3, 3, 3, 3, 3.5, 4, 4.5, 4.5, 4, 3, 2)


class AlreadySeeded(Exception):
    """The database has a demo network already (the `demo` member exists)."""


class Progress:
    """Receives progress; the command passes one that draws a bar per phase."""

    def phase(self, name: str, total: int) -> None: ...

    def advance(self, count: int = 1) -> None: ...


@dataclass
class Summary:
    members: int = 0
    paid: int = 0
    unpaid: int = 0
    lapsed: int = 0
    follows: int = 0
    posts: int = 0
    replies: int = 0
    mentions: int = 0
    likes: int = 0
    reposts: int = 0
    seconds: float = 0.0
    username: str = DEMO_USERNAME
    password: str = ""


@dataclass
class Member:
    account: Account
    plan: str  # "paid", "unpaid" or "lapsed"
    joined: datetime
    topics: list[str]
    activity: float  # how much this member posts, relative to the average
    popularity: float = 0.0  # weight as a follow target
    following: set[int] = field(default_factory=set)

    @property
    def id(self) -> int:
        return self.account.pk


@dataclass
class Posted:
    """What the generator remembers of a status it wrote, to react to it later."""

    id: int
    author: Member
    at: datetime
    visibility: str
    topic: str
    reply: bool
    likes: int = 0


def seed(
    *,
    members: int = 150,
    days: int = 21,
    seed: int = 1,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> Summary:
    """Seed the database with `members` members and `days` days of their life. Raises AlreadySeeded."""
    if members < 5 or days < 1:
        raise ValueError("a demo network needs at least 5 members and 1 day")
    began = time.monotonic()
    # Fan-out in the seeding transaction: the network is whole when the command ends.
    with transaction.atomic(), fanout.inline():
        if Account.objects.filter(username__iexact=DEMO_USERNAME).exists():
            raise AlreadySeeded(
                f"This database has a demo network already (the member @{DEMO_USERNAME} exists); "
                "nothing to do."
            )
        # Made-up data, not secrets: the same seed gives the same network.
        rng = random.Random(seed)  # noqa: S311
        network = Network(rng, now or timezone.now(), days, progress or Progress())
        network.sign_up(members)
        network.lapse()
        network.follow()
        network.live()
        summary = network.summary()
    summary.seconds = time.monotonic() - began
    return summary


class Network:
    def __init__(self, rng: random.Random, now: datetime, days: int, progress: Progress):
        self.rng = rng
        self.now = now
        self.start = now - timedelta(days=days)
        self.days = days
        self.progress = progress
        self.members: list[Member] = []
        self.by_id: dict[int, Member] = {}
        self.counts = Summary()
        # What each member put in front of their followers (own posts and reposts), in time order.
        self.shown: dict[int, list[tuple[datetime, Posted]]] = defaultdict(list)
        # Replies and mentions addressed to each member, not yet answered.
        self.inbox: dict[int, list[Posted]] = defaultdict(list)
        self.liked: set[tuple[int, int]] = set()
        self.reposted: set[tuple[int, int]] = set()

    @property
    def writers(self) -> list[Member]:
        return [m for m in self.members if m.plan == "paid"]

    # --- 1. members and memberships ------------------------------------------

    def sign_up(self, count: int) -> None:
        lapsed = max(1, round(count * 0.04))
        unpaid = max(1, round(count * 0.12))
        plans = ["paid"] * (count - lapsed - unpaid - 1) + ["unpaid"] * unpaid + ["lapsed"] * lapsed
        self.rng.shuffle(plans)
        self.progress.phase("members", count)
        names = self._names(len(plans))
        accounts = []
        for (username, display_name), plan in zip(names, plans, strict=True):
            joined = self._joined(plan)
            topics = self.rng.sample(sorted(TOPICS), self.rng.choice((1, 2, 2, 3)))
            account = Account(
                username=username,
                email=f"{username}@example.org",
                password=make_password(None),
                # An unpaid account cannot publish a display name or a bio (README, "API").
                display_name=display_name if plan != "unpaid" else "",
                note=self._bio(topics) if plan != "unpaid" else "",
                date_joined=joined,
                email_confirmed_at=joined,
            )
            accounts.append(account)
            self.members.append(Member(account, plan, joined, topics, self._activity()))
        Account.objects.bulk_create(accounts)
        Membership.objects.bulk_create(
            [Membership(account=a, state_changed_at=a.date_joined) for a in accounts]
        )
        self.members.append(self._demo_member())
        self.members.sort(key=lambda m: m.joined)
        for member in self.members:
            if member.plan != "unpaid":
                membership.pay(member.account, self._card(member), now=member.joined)
            elif self.rng.random() < 0.3:
                self._declined(member)
            self.progress.advance()

    def _names(self, count: int) -> list[tuple[str, str]]:
        """`count` (username, display name) pairs whose usernames nobody has yet."""
        found: dict[str, str] = {}
        while len(found) < count:
            batch: dict[str, str] = {}
            while len(batch) < count - len(found):
                username, display_name = self._name()
                if username not in found and username not in RESERVED_USERNAMES | {DEMO_USERNAME}:
                    batch[username] = display_name
            taken = set(
                Account.objects.annotate(name=Lower("username"))
                .filter(name__in=list(batch))
                .values_list("name", flat=True)
            )
            found.update({u: d for u, d in batch.items() if u not in taken})
        return list(found.items())

    def _name(self) -> tuple[str, str]:
        first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
        style = self.rng.random()
        if style < 0.3:
            username = first
        elif style < 0.55:
            username = f"{first}_{last}"
        elif style < 0.75:
            username = f"{first}{last[0]}"
        elif style < 0.9:
            username = f"{first}{self.rng.randint(2, 99)}"
        else:
            username = f"{last}{first[0]}"
        display_name = f"{first} {last}" if self.rng.random() < 0.8 else first
        return username.lower()[:USERNAME_MAX_LENGTH], display_name

    def _bio(self, topics: list[str]) -> str:
        role, city = self.rng.choice(ROLES), self.rng.choice(CITIES)
        instrument = self.rng.choice(TOPICS["music"]["instrument"])
        lines = " ".join(TOPICS[t]["bio"] for t in topics).format(instrument=instrument)
        tags = " ".join(f"#{t}" for t in topics)
        return f"{role} in {city}. {lines} Posts about {tags}."

    def _joined(self, plan: str) -> datetime:
        """When a member signed up: lapsed ones long ago, unpaid ones lately, the rest over two months."""
        if plan == "lapsed":
            return self.start - timedelta(days=self.rng.uniform(45, 75))
        if plan == "unpaid":
            return self.start + timedelta(days=self.rng.uniform(0, self.days)) - timedelta(hours=1)
        return self.start - timedelta(days=self.rng.uniform(1, 60))

    def _activity(self) -> float:
        # Log-normal, about 0.6 posts a day on average: most members post a little, a few a lot.
        return min(8.0, max(0.05, self.rng.lognormvariate(-0.9, 0.9)))

    def _demo_member(self) -> Member:
        joined = self.start - timedelta(days=14)
        for _ in range(5):
            password = "-".join(secrets.choice(PASSWORD_WORDS) for _ in range(3)) + str(
                secrets.randbelow(90) + 10
            )
            try:
                account = create_account(DEMO_USERNAME, password, f"{DEMO_USERNAME}@example.org")
                break
            except ValidationError as error:
                if "username" in error.message_dict:
                    raise AlreadySeeded(f"The username @{DEMO_USERNAME} is taken; nothing to do.") from None
        else:
            raise RuntimeError("could not make a password the validators accept")
        account.display_name = "Demo"
        account.note = "The demo member of this Obole server: look around, post, like, follow."
        account.date_joined = joined
        account.email_confirmed_at = joined
        account.save(update_fields=["display_name", "note", "date_joined", "email_confirmed_at"])
        self.counts.password = password
        return Member(account, "paid", joined, ["coffee", "books"], 1.0)

    def _card(self, member: Member) -> SandboxCard:
        """A distinct Luhn-valid sandbox card, Visa or Mastercard, that succeeds when charged."""
        prefix = "47" if self.rng.random() < 0.7 else "52"
        body = f"{prefix}{member.id % 10**13:013d}"
        digits = next(body + str(d) for d in range(10) if luhn_valid(body + str(d)))
        year = member.joined.year + self.rng.randint(1, 4)
        return SandboxCard(card_number=digits, exp_month=self.rng.randint(1, 12), exp_year=year, cvc="123")

    def _declined(self, member: Member) -> None:
        """A newcomer who tried a card the sandbox declines, and has not paid since."""
        card = SandboxCard(card_number=DECLINED_CARD, exp_month=12, exp_year=self.now.year + 2, cvc="123")
        with contextlib.suppress(MembershipError):
            membership.pay(member.account, card, now=member.joined + timedelta(minutes=5))

    def lapse(self) -> None:
        """Lapse the members meant to, one at a time (the failing card may back one live account)."""
        lapsing = [m for m in self.members if m.plan == "lapsed"]
        self.progress.phase("lapsed memberships", len(lapsing))
        last_retry = timedelta(days=max(settings.OBOLE_DUNNING_RETRY_DAYS, default=0), hours=1)
        for member in lapsing:
            failing = SandboxCard(
                card_number=FAILS_ON_CHARGE_CARD, exp_month=12, exp_year=self.now.year + 2, cvc="123"
            )
            membership.pay(member.account, failing, now=member.joined + timedelta(days=3))
            ends = Membership.objects.get(pk=member.id).paid_until
            billing.run(ends + last_retry)
            self.progress.advance()
        # Fresh rows: the memberships changed under the Account objects held so far.
        fresh = Account.objects.select_related("membership").in_bulk([m.id for m in self.members])
        for member in self.members:
            member.account = fresh[member.id]
        self.by_id = {m.id: m for m in self.members}

    # --- 2. the follow graph ---------------------------------------------------

    def follow(self) -> None:
        writers = self.writers
        order = writers[:]
        self.rng.shuffle(order)
        demo = next(m for m in writers if m.account.username == DEMO_USERNAME)
        order.remove(demo)
        order.insert(min(3, len(order)), demo)  # popular enough to get notifications
        for rank, member in enumerate(order):
            # Zipf-like: the first few accounts are followed by most of the others.
            member.popularity = 1 / (rank + 1) ** 1.1
        follows: list[tuple[datetime, Member, Member]] = []
        for member in writers:
            for target in self._choose_targets(member, writers):
                follows.append((self._between(member.joined, self.start), member, target))
        for at, member, target in list(follows):
            if self.rng.random() < 0.25:  # some follows are returned
                follows.append((self._between(at, self.start), target, member))
        follows.sort(key=lambda f: f[0])
        self._follow_in_bulk(follows)

    def _follow_in_bulk(self, follows: list[tuple[datetime, Member, Member]]) -> None:
        """The opening graph: the rows `graph.follow` makes, written in bulk.

        One `graph.follow` per follow took most of the run. Here its other
        work has nothing to do: nobody has posted yet (no home timeline to
        merge), and these new members block and mute nobody (every follow
        notifies). The counters are then counted from the rows, for all at once.
        """
        rows, notifications = [], []
        for at, member, target in follows:
            if target.id in member.following:
                continue
            member.following.add(target.id)
            rows.append(Follow(follower_id=member.id, target_id=target.id))
            notifications.append(
                Notification(recipient_id=target.id, from_account_id=member.id, type="follow", created_at=at)
            )
        self.progress.phase("follows", len(rows))
        for start in range(0, len(rows), BULK):
            Follow.objects.bulk_create(rows[start : start + BULK])
            Notification.objects.bulk_create(notifications[start : start + BULK])
            self.progress.advance(len(rows[start : start + BULK]))
        _recount_follows([m.id for m in self.writers])

    def _choose_targets(self, member: Member, writers: list[Member]) -> list[Member]:
        roll = self.rng.random()
        wanted = self.rng.randint(10, 40) if roll < 0.85 else self.rng.randint(3, 9)
        if member.account.username == DEMO_USERNAME:
            wanted = 30
        others = [m for m in writers if m is not member]
        # Weighted sampling without replacement (Efraimidis–Spirakis): keys u^(1/w), highest first.
        # (log u / w is the same order as u^(1/w), without underflowing to 0 for tiny weights.)
        keyed = sorted(others, key=lambda m: math.log(1 - self.rng.random()) / m.popularity, reverse=True)
        return keyed[: min(wanted, len(others))]

    def _follow(self, member: Member, target: Member, at: datetime) -> None:
        if target.id in member.following or target is member:
            return
        graph.follow(member.account, target.account, now=at)
        member.following.add(target.id)

    # --- 3. life on the network -------------------------------------------------

    def live(self) -> None:
        events = self._schedule()
        self.progress.phase("posts, likes and reposts", len(events))
        act = {"post": self._post, "like": self._like, "repost": self._repost, "follow": self._new_follow}
        for at, _, kind, member in events:
            if kind == "billing":
                billing.run(at)
            else:
                act[kind](member, at)
            self.progress.advance()
        billing.run(self.now)

    def _schedule(self) -> list[tuple[datetime, int, str, Member | None]]:
        """Every moment someone does something, oldest first; what they do is decided then."""
        events: list[tuple[datetime, int, str, Member | None]] = []
        for day in range(self.days):
            day_start = self.start + timedelta(days=day)
            events.append((day_start, len(events), "billing", None))
            for member in self.writers:
                rates = {
                    "post": member.activity,
                    "like": member.activity * LIKES_PER_POST + 0.3,
                    "repost": member.activity * REPOSTS_PER_POST,
                    "follow": NEW_FOLLOW_CHANCE,
                }
                for kind, rate in rates.items():
                    for _ in range(_poisson(self.rng, rate)):
                        at = self._moment(day_start)
                        if at < self.now:
                            events.append((at, len(events), kind, member))
        events.sort(key=lambda e: (e[0], e[1]))
        return events

    def _moment(self, day_start: datetime) -> datetime:
        hour = self.rng.choices(range(24), weights=HOURS)[0]
        return day_start + timedelta(hours=hour, seconds=self.rng.uniform(0, 3600))

    def _between(self, earliest: datetime, latest: datetime) -> datetime:
        return earliest + (latest - earliest) * self.rng.random()

    def _readable(self, member: Member, at: datetime, hours: int) -> list[Posted]:
        """Statuses in `member`'s home timeline from the last `hours`: followed authors' posts and reposts."""
        since = at - timedelta(hours=hours)
        seen: dict[int, Posted] = {}
        for author_id in sorted(member.following):  # sorted: a set's order would vary between runs
            for shown_at, posted in reversed(self.shown[author_id]):
                if shown_at < since:
                    break
                if posted.author is not member:
                    seen[posted.id] = posted
        return list(seen.values())

    def _post(self, member: Member, at: datetime) -> None:
        inbox = [p for p in self.inbox[member.id] if p.at > at - timedelta(hours=24)]
        self.inbox[member.id] = inbox
        if inbox and self.rng.random() < 0.5:
            parent = self.rng.choice(inbox)
            inbox.remove(parent)
            return self._reply(member, parent, at)
        if self.rng.random() < 0.2:
            candidates = [p for p in self._readable(member, at, 36) if not p.reply]
            if candidates:
                return self._reply(member, self._pick(candidates, lambda p: 1 + p.likes), at)
        self._original(member, at)

    def _original(self, member: Member, at: datetime) -> None:
        topic = self.rng.choice(member.topics)
        text = self._fill(self.rng.choice(TOPICS[topic]["posts"]), topic)
        opener = self.rng.choice(OPENERS)
        if opener.endswith(", "):
            text = text[0].lower() + text[1:]
        text = opener + text
        if self.rng.random() < 0.7:
            text += f" #{topic}"
        friend = None
        if member.following and self.rng.random() < 0.12:
            friend = self.by_id[self.rng.choice(sorted(member.following))]
            text += self.rng.choice(
                (" cc @{}", " What do you think, @{}?", " (@{} told me to try it)")
            ).format(friend.account.username)
        visibility = self.rng.choices(
            (Visibility.PUBLIC, Visibility.UNLISTED, Visibility.PRIVATE), weights=(88, 8, 4)
        )[0]
        status = services.post_status(member.account, text, visibility=visibility, now=at)
        posted = self._remember(status.pk, member, at, visibility, topic, reply=False)
        if friend is not None:
            self.inbox[friend.id].append(posted)
            self.counts.mentions += 1

    def _reply(self, member: Member, parent: Posted, at: datetime) -> None:
        text = f"@{parent.author.account.username} {self.rng.choice(REPLIES)}"
        visibility = parent.visibility
        if visibility == Visibility.PUBLIC and self.rng.random() < 0.1:
            visibility = Visibility.UNLISTED
        status = services.post_status(
            member.account, text, visibility=visibility, in_reply_to_id=parent.id, now=at
        )
        posted = self._remember(status.pk, member, at, visibility, parent.topic, reply=True)
        self.inbox[parent.author.id].append(posted)
        self.counts.replies += 1

    def _like(self, member: Member, at: datetime) -> None:
        candidates = self._readable(member, at, 48)
        if self.inbox[member.id] and self.rng.random() < 0.3:
            candidates = self.inbox[member.id]
        candidates = [p for p in candidates if (member.id, p.id) not in self.liked]
        if not candidates:
            return
        posted = self._pick(candidates, lambda p: 1 + 2 * p.likes)
        services.favourite(member.account, posted.id, now=at)
        self.liked.add((member.id, posted.id))
        posted.likes += 1
        self.counts.likes += 1

    def _repost(self, member: Member, at: datetime) -> None:
        candidates = [
            p
            for p in self._readable(member, at, 48)
            if not p.reply
            and p.visibility in (Visibility.PUBLIC, Visibility.UNLISTED)
            and (member.id, p.id) not in self.reposted
        ]
        if not candidates:
            return
        posted = self._pick(candidates, lambda p: 1 + p.likes)
        services.reblog(member.account, posted.id, now=at)
        self.reposted.add((member.id, posted.id))
        self.shown[member.id].append((at, posted))
        self.counts.reposts += 1

    def _new_follow(self, member: Member, at: datetime) -> None:
        """Follow someone new: often an author a followed account reposted, else someone popular."""
        discovered = [p.author for p in self._readable(member, at, 72) if p.author.id not in member.following]
        if discovered:
            return self._follow(member, self.rng.choice(discovered), at)
        strangers = [m for m in self.writers if m is not member and m.id not in member.following]
        if strangers:
            self._follow(member, self._pick(strangers, lambda m: m.popularity), at)

    def _remember(
        self, status_id: int, member: Member, at: datetime, visibility: str, topic: str, *, reply: bool
    ) -> Posted:
        posted = Posted(status_id, member, at, visibility, topic, reply)
        self.shown[member.id].append((at, posted))
        self.counts.posts += 1
        return posted

    def _fill(self, template: str, topic: str) -> str:
        words = {**COMMON_WORDS, **{k: v for k, v in TOPICS[topic].items() if k not in ("bio", "posts")}}
        return template.format_map({slot: self.rng.choice(choices) for slot, choices in words.items()})

    def _pick(self, items: list[T], weight: Callable[[T], float]) -> T:
        return self.rng.choices(items, weights=[weight(item) for item in items])[0]

    # --- the summary -------------------------------------------------------------

    def summary(self) -> Summary:
        ids = [m.id for m in self.members]
        rows = Membership.objects.filter(pk__in=ids).values("state").annotate(n=Count("pk"))
        found = {row["state"]: row["n"] for row in rows}
        counts = self.counts
        counts.members = len(ids)
        counts.paid = found.get(states.ACTIVE, 0)
        counts.unpaid = found.get(states.PENDING_PAYMENT, 0)
        counts.lapsed = found.get(states.LAPSED, 0)
        counts.follows = Follow.objects.filter(follower_id__in=ids).count()
        return counts


def _recount_follows(account_ids: list[int]) -> None:
    """Set the follow counters of these accounts from the Follow rows, in one UPDATE."""

    def count(column: str) -> Coalesce:
        rows = Follow.objects.filter(**{column: OuterRef("pk")}).order_by().values(column)
        return Coalesce(Subquery(rows.annotate(n=Count("pk")).values("n")), 0)

    Account.objects.filter(pk__in=account_ids).update(
        followers_count=count("target"), following_count=count("follower")
    )


def _poisson(rng: random.Random, rate: float) -> int:
    """A Poisson-distributed count (Knuth's method; rates here are small)."""
    limit, count, product = math.exp(-rate), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count
