"""Who takes part in a simulation: bot strategies and human-like members.

Bot strategies, each a share of the bots (`STRATEGIES`):

- card_pool: one card per bot from a pool of K cards; past K, bots reuse a card
- prepaid: a prepaid card each, Visa, Mastercard and American Express in turn
  (the sandbox's prepaid ranges), and Stripe's one prepaid test card for the first
- card_testing: accounts from one small network try invalid and declined numbers,
  with a few working stolen cards at the end of each list
- signup_burst: many sign-ups from a few addresses in two networks, each bot with its own card
- spam_campaign: a card and an address each; near-duplicate posts with a link and a tag
- follow_ring: a card and an address each; the bots follow one another in a ring
- honest_operator: pays properly for every bot and posts like a person
- first_month_only: pays the first month, then swaps in a card of its own that fails
  when charged (Visa, Mastercard, American Express, Discover in turn)

Humans sign up from their own address (a few share one, as a household does),
some mistype their card once, each pays with a card of their own, and post now
and then. Addresses are made up from documentation and private ranges.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from obole.economics.simulation.cards import DECLINED, FAILS_WHEN_CHARGED, PREPAID, Card, CardMaker, broken
from obole.economics.simulation.records import ActorRecord

# Actors signing up through one registered app: people use a few popular apps, a farm its own tool.
# (Registering an app and getting its token each hash a secret on the server, as a sign-up does.)
ACTORS_PER_APP = 50

STRATEGIES = {
    "card_pool": 0.20,
    "prepaid": 0.05,
    "card_testing": 0.10,
    "signup_burst": 0.15,
    "spam_campaign": 0.20,
    "follow_ring": 0.15,
    "honest_operator": 0.10,
    "first_month_only": 0.05,
}

WORDS = [
    "morning",
    "coffee",
    "garden",
    "rain",
    "train",
    "book",
    "city",
    "walk",
    "music",
    "river",
    "friend",
    "dinner",
    "photo",
    "cat",
    "dog",
    "market",
    "bread",
    "bike",
    "work",
    "meeting",
    "idea",
    "weekend",
    "film",
    "sea",
    "mountain",
    "song",
    "kitchen",
    "school",
    "library",
    "park",
    "tea",
    "election",
    "museum",
    "recipe",
    "project",
    "question",
    "answer",
    "news",
    "weather",
    "football",
    "concert",
    "history",
    "bridge",
]
TAGS = ["photography", "books", "cycling", "food", "music", "gardening", "news", "cats"]
PRODUCTS = ["watches", "sneakers", "crypto signals", "followers", "pills", "handbags"]


@dataclass(eq=False)
class Actor:
    record: ActorRecord
    password: str
    cards: list[Card]
    later_card: Card | None = None
    post: Callable[[random.Random], str] = lambda rng: ""
    ring_next: list[Actor] = field(default_factory=list)
    token: str | None = None
    account_id: str | None = None
    app_key: str = ""

    @property
    def kind(self) -> str:
        return self.record.kind


def human_text(rng: random.Random) -> str:
    words = rng.choices(WORDS, k=rng.randint(4, 40))
    text = " ".join(words).capitalize() + rng.choice([".", "!", "?", " :)", "."])
    if rng.random() < 0.3:
        text += f" #{rng.choice(TAGS)}"
    return text


def spam_text(campaign: int) -> Callable[[random.Random], str]:
    def text(rng: random.Random) -> str:
        product = PRODUCTS[campaign % len(PRODUCTS)]
        opening = rng.choice(["Huge sale!", "Huge sale!!", "HUGE sale!", "Huge sale today!"])
        return (
            f"{opening} {product} {rng.choice([50, 60, 70])}% off at "
            f"https://deals.example/{campaign}?r={rng.randint(1, 9)} #{product.split()[0]}"
        )

    return text


class Addresses:
    """Made-up client addresses: unique ones from a range, or a few from a couple of networks."""

    def __init__(self) -> None:
        self.counters: dict[str, int] = {}

    def unique(self, first: int, second_base: int) -> str:
        """An address in a /24 network of its own, as people at home (or a farm renting
        residential proxies) have: packing them 250 to a /24 would make them look like one
        burst to the per-network sign-up limit. 64 × 256 networks per range, then it wraps."""
        key = f"{first}.{second_base}"
        n = self.counters.get(key, 0) + 1
        self.counters[key] = n
        return f"{first}.{second_base + n // 256 % 64}.{n % 256}.{n * 37 % 250 + 2}"


def split(total: int, shares: dict[str, float]) -> dict[str, int]:
    """Whole counts per strategy adding up to `total` (largest remainders)."""
    raw = {name: total * share / sum(shares.values()) for name, share in shares.items()}
    counts = {name: int(value) for name, value in raw.items()}
    for name in sorted(raw, key=lambda n: raw[n] - counts[n], reverse=True)[: total - sum(counts.values())]:
        counts[name] += 1
    return counts


def population(
    bots: int,
    humans: int,
    *,
    seed: int,
    nonce: int,
    pool_size: int | None = None,
    card_tests: int = 25,
    shares: dict[str, float] | None = None,
) -> list[Actor]:
    """The actors of a run, in a deterministic order for `seed` (the runner shuffles them)."""
    rng = random.Random(seed)  # noqa: S311 -- a reproducible draw, not a secret
    cards = CardMaker(nonce)
    addresses = Addresses()
    counts = split(bots, shares or STRATEGIES)
    actors: list[Actor] = []

    def bot(strategy: str, index: int, address: str, card_list: list[Card], **extra) -> Actor:
        record = ActorRecord("bot", strategy, f"b{nonce}_{strategy}_{index}", address)
        app_key = f"bot:{len(actors) // ACTORS_PER_APP}"
        actor = Actor(record, secrets.token_urlsafe(12), card_list, app_key=app_key, **extra)
        actors.append(actor)
        return actor

    pool = [cards.bot() for _ in range(pool_size or max(1, counts["card_pool"] // 4))]
    for i in range(counts["card_pool"]):
        bot("card_pool", i, addresses.unique(172, 16), [pool[i % len(pool)]], post=spam_text(1))
    prepaid_brands = ("visa", "mastercard", "amex")
    for i in range(counts["prepaid"]):
        card = Card("prepaid-stripe", PREPAID) if i == 0 else cards.prepaid(prepaid_brands[i % 3])
        bot("prepaid", i, addresses.unique(172, 16), [card], post=spam_text(2))
    testers = [f"192.0.2.{n}" for n in range(10, 18)]  # one /24
    for i in range(counts["card_testing"]):
        guesses = []
        for n in range(card_tests):
            if n >= card_tests - 3:
                guesses.append(cards.bot())  # the stolen numbers that would work
            elif n % 3 == 2:
                guesses.append(Card("declined", DECLINED[n % len(DECLINED)]))
            else:
                guesses.append(Card("invalid", broken(cards.bot().number)))
        bot("card_testing", i, testers[i % len(testers)], guesses, post=spam_text(3))
    burst = [f"198.51.100.{n}" for n in (20, 21, 22)] + [f"203.0.113.{n}" for n in (40, 41, 42)]
    for i in range(counts["signup_burst"]):
        bot("signup_burst", i, burst[i % len(burst)], [cards.bot()], post=spam_text(4))
    for i in range(counts["spam_campaign"]):
        bot("spam_campaign", i, addresses.unique(172, 16), [cards.bot()], post=spam_text(5 + i % 3))
    ring = [
        bot("follow_ring", i, addresses.unique(172, 16), [cards.bot()], post=human_text)
        for i in range(counts["follow_ring"])
    ]
    for i, member in enumerate(ring):
        member.ring_next = [ring[(i + step) % len(ring)] for step in (1, 2, 3) if len(ring) > step]
    for i in range(counts["honest_operator"]):
        bot("honest_operator", i, addresses.unique(172, 16), [cards.bot()], post=human_text)
    failing_brands = ("visa", "mastercard", "amex", "discover")
    for i in range(counts["first_month_only"]):
        bot(
            "first_month_only",
            i,
            addresses.unique(172, 16),
            [cards.bot()],
            post=spam_text(9),
            later_card=(
                Card("fails-stripe", FAILS_WHEN_CHARGED)
                if i == 0
                else cards.fails_when_charged(failing_brands[i % 4])
            ),
        )

    household = None
    for i in range(humans):
        if household and household[1] > 0:  # the rest of a household behind one address
            address, left = household
            household = (address, left - 1)
        else:
            address = addresses.unique(100, 64)
            household = (address, 2) if rng.random() < 0.05 else None
        own = cards.human()
        tries = [Card("typo", broken(own.number)), own] if rng.random() < 0.1 else [own]
        name = f"{rng.choice(WORDS)}_{i}_{nonce}"
        record = ActorRecord("human", "human", name, address)
        app_key = f"human:{i // ACTORS_PER_APP}"
        actors.append(Actor(record, secrets.token_urlsafe(12), tries, post=human_text, app_key=app_key))
    return actors
