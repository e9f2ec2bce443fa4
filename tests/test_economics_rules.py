"""Reading the rule that stopped an actor from the server's answer; cards for a run."""

import pytest

from obole.economics.simulation.cards import CardMaker, broken, luhn_valid
from obole.economics.simulation.client import Answer
from obole.economics.simulation.farm import population, split
from obole.economics.simulation.rules import rule_of, stop


@pytest.mark.parametrize(
    ("status", "message", "phase", "rule"),
    [
        (
            429,
            "Too many accounts were created from your network in the last hour.",
            "sign_up",
            "signups_per_address",
        ),
        (
            429,
            "Too many failed payment attempts. Please wait 60 minutes and try again.",
            "payment",
            "payment_failures_limit",
        ),
        (422, "This card already pays for another Obole account.", "payment", "card_in_use"),
        (422, "This card cannot be used on Obole.", "payment", "blocklisted"),
        (
            422,
            "Prepaid cards are not accepted; please use a credit or debit card.",
            "payment",
            "prepaid_card",
        ),
        (422, "Your card number is incorrect.", "payment", "invalid_card"),
        (422, "Validation failed: That username is taken.", "sign_up", "sign_up_invalid"),
        (402, "Your card was declined.", "payment", "card_declined"),
        (
            402,
            "Your membership lapsed after failed payments. Pay again to keep posting.",
            "write",
            "membership_lapsed",
        ),
        (403, "This account is banned.", "write", "banned"),
        (500, "", "write", "http_500"),
    ],
)
def test_rules_are_read_from_status_and_message(status, message, phase, rule):
    assert rule_of(Answer(status, {"error": message}), phase) == (rule, "message")


def test_a_rule_the_server_names_is_taken_as_it_is():
    answer = Answer(403, {"error": "Suspended.", "rule": "near_duplicate_text"})
    assert stop(answer, "write", 3).to_dict() == {
        "rule": "near_duplicate_text",
        "phase": "write",
        "day": 3,
        "status": 403,
        "message": "Suspended.",
        "source": "server",
    }


def test_cards_are_distinct_luhn_valid_and_never_shown():
    maker = CardMaker(nonce=42)
    cards = [maker.bot() for _ in range(500)] + [maker.human() for _ in range(500)]
    assert len({card.number for card in cards}) == 1000
    assert all(luhn_valid(card.number) and len(card.number) == 16 for card in cards)
    assert not luhn_valid(broken(cards[0].number))
    assert cards[0].number not in repr(cards[0])
    assert luhn_valid("4242424242424242") and luhn_valid("5105105105105100")


def test_the_population_has_each_strategy_and_unique_names():
    actors = population(40, 20, seed=1, nonce=7)
    names = [actor.record.username for actor in actors]
    assert len(names) == len(set(names)) == 60
    assert {actor.record.strategy for actor in actors} >= {
        "card_pool",
        "card_testing",
        "human",
        "follow_ring",
    }
    assert split(10, {"a": 0.5, "b": 0.25, "c": 0.25}) == {"a": 5, "b": 3, "c": 2}


def test_people_and_proxied_bots_come_from_networks_of_their_own():
    """1,000 humans must not share a few /24s, or the per-network sign-up limit refuses them
    as if they were one burst; the burst bots, by design, share a few networks."""
    from obole.lib.addresses import network_of

    actors = population(400, 1000, seed=3, nonce=9)
    humans = [actor.record.address for actor in actors if actor.record.kind == "human"]
    assert len({network_of(address) for address in humans}) >= 0.9 * len(humans)
    proxied = [a.record.address for a in actors if a.record.strategy in ("card_pool", "spam_campaign")]
    assert len({network_of(address) for address in proxied}) == len(proxied)
    burst = [a.record.address for a in actors if a.record.strategy == "signup_burst"]
    assert len({network_of(address) for address in burst}) <= 2


def test_no_answer_is_not_a_rule_and_not_a_refused_human():
    from obole.economics.model import Inputs
    from obole.economics.simulation.records import ActorRecord, summarize

    assert rule_of(Answer(0, {"error": "the server did not answer"}), "sign_up") == ("no_answer", "client")
    slow = ActorRecord("human", "human", "h1", "100.64.0.2", sign_up_attempts=1)
    slow.stopped_by = stop(Answer(0, {"error": "the server did not answer"}), "sign_up", 0)
    refused = ActorRecord("human", "human", "h2", "100.64.0.3", sign_up_attempts=1)
    refused.stopped_by = stop(Answer(429, {"error": "Too many accounts were created"}), "sign_up", 0)
    server = {"url": "http://x", "fee": "3", "currency": "USD", "interval": "month"}
    humans = summarize([slow, refused], [0, 31], server=server, model_inputs=Inputs(), extra={})["humans"]
    assert humans["no_answer"] == 1
    assert humans["refused"] == 1 and humans["refused_by"] == {"signups_per_address": 1}
    assert humans["false_positive_rate"] == "50.00%"


def test_prepaid_and_failing_cards_come_from_the_sandbox_ranges_of_several_brands():
    from obole.economics.simulation.farm import STRATEGIES
    from obole.membership.cards import brand_of, check_card
    from obole.membership.providers.sandbox_cards import FAILS_ON_CHARGE_RANGES, PREPAID_RANGES
    from tests.conftest import NOW

    shares = dict.fromkeys(STRATEGIES, 0.0) | {"prepaid": 0.5, "first_month_only": 0.5}
    actors = population(60, 0, seed=1, nonce=7, shares=shares)
    prepaid = [a.cards[0] for a in actors if a.record.strategy == "prepaid"]
    failing = [a.later_card for a in actors if a.record.strategy == "first_month_only"]
    assert len({c.number for c in prepaid}) == len(prepaid) == 30  # one card each: one card, one account
    assert len({c.number for c in failing}) == len(failing) == 30
    for cards, ranges, stripe in (
        (prepaid, PREPAID_RANGES, "5105105105105100"),
        (failing, FAILS_ON_CHARGE_RANGES, "4000000000000341"),
    ):
        brands = {brand_of(c.number) for c in cards}
        assert brands == set(ranges)
        for c in cards:
            assert check_card(c.number, c.exp_month, c.exp_year, c.form()["cvc"], NOW) == c.number
            assert c.number == stripe or c.number[:6] == ranges[brand_of(c.number)]


def test_the_summary_counts_bots_stopped_per_rule_step_and_day():
    from obole.economics.model import Inputs
    from obole.economics.simulation.records import ActorRecord, summarize

    server = {"url": "http://x", "fee": "3", "currency": "USD", "interval": "month"}
    bots = []
    for n, (rule, phase, day, wrote) in enumerate(
        [
            ("card_in_use", "payment", 0, False),
            ("card_in_use", "payment", 0, False),
            ("suspended", "write", 31, True),
            ("membership_lapsed", "write", 38, True),
        ]
    ):
        bot = ActorRecord("bot", "card_pool", f"b{n}", "172.16.0.2", sign_up_attempts=1, signed_up=True)
        if wrote:
            bot.saw_write(0, True)
        bot.stopped_by = stop(Answer(422, {"error": "no", "rule": rule}), phase, day)
        bots.append(bot)
    summary = summarize(bots, [0, 31, 38], server=server, model_inputs=Inputs(), extra={})
    stopped = summary["bots"]["stopped_by_rule"]
    assert stopped["card_in_use"] == {
        "bots": 2,
        "after_write_access": 0,
        "phases": {"payment": 2},
        "days": {"0": 2},
        "source": "server",
    }
    assert stopped["suspended"]["days"] == {"31": 1}
    # Suspension is detection; a lapse is the farm's own doing.
    assert summary["measured"]["caught_after_access"] == 1
