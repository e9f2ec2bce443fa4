"""Sign-up and payment screening: each rule fires on what it targets and stays quiet for a member.

Expected false positives are noted beside each rule (and in docs/trust.md).
"""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest
from django.test import Client

from obole.accounts.services import create_account
from obole.lib.rules import NAMES, RuleError, parse_rule, parse_rules
from obole.membership import services
from obole.membership.errors import CardRejected, PaymentDeclined, TooManyAttempts
from obole.membership.models import PaymentAttempt
from obole.trust import screening
from obole.trust.models import Report, RuleHit
from tests.conftest import NOW, PASSWORD, card, make_account, numbered_card, subprocess_env

pytestmark = pytest.mark.django_db

DECLINED = "4000000000000002"
PREPAID = "5105105105105100"
BRAZILIAN = "4000000760000002"


def hits() -> dict[str, int]:
    """Rule hits, without the count of flags they raised."""
    return dict(RuleHit.objects.exclude(rule="flags").values_list("rule", "count"))


def flags(account) -> list[str]:
    return list(Report.objects.filter(target=account, reporter=None).values_list("source", flat=True))


def luhn_invalid(n: int) -> str:
    good = numbered_card(n)
    return good[:-1] + str((int(good[-1]) + 1) % 10)


# --- The rule language ----------------------------------------------------------


def test_rules_are_parsed_without_eval_and_applied():
    rule = parse_rule('review if funding == "prepaid" and not (card_country == "US")', NAMES)
    assert rule.action == "review"
    assert rule.applies({"funding": "prepaid", "card_country": "BR"})
    assert not rule.applies({"funding": "prepaid", "card_country": "US"})
    assert not rule.applies({"funding": "prepaid"})  # a value it needs is missing: quiet
    block = parse_rules("block if cards_per_network_per_hour > 5; review if email_disposable", NAMES)
    assert [r.action for r in block] == ["block", "review"]
    assert block[0].applies({"cards_per_network_per_hour": 6})
    assert not block[0].applies({"cards_per_network_per_hour": 5})


@pytest.mark.parametrize(
    "text",
    [
        'allow if funding == "prepaid"',  # unknown action
        'review funding == "prepaid"',  # no "if"
        "block if __import__('os') > 1",  # unknown name, and no call syntax anyway
        "block if cards_per_network_per_hour >",  # ends too early
        "block if (funding == 'prepaid'",  # unbalanced
        "block if funding = 'prepaid'",  # not an operator
    ],
)
def test_a_malformed_rule_is_refused(text):
    with pytest.raises(RuleError):
        parse_rule(text, NAMES)


def test_a_malformed_rule_stops_start_up_naming_the_variable():
    env = {**subprocess_env(), "OBOLE_TRUST_RULES": "block if cards_per_nettwork > 5"}
    result = subprocess.run(
        [sys.executable, "-c", "import obole.settings"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "OBOLE_TRUST_RULES" in result.stderr and "cards_per_nettwork" in result.stderr


# --- An ordinary member ---------------------------------------------------------------


def test_an_ordinary_member_signs_up_and_pays_without_any_rule_firing(settings):
    settings.OBOLE_PREPAID_CARDS = "review"
    settings.OBOLE_TRUST_RULES = 'review if funding == "prepaid"; block if cards_per_network_per_hour > 5'
    account = create_account("ordinary", PASSWORD, "ordinary@example.org", ip="198.51.100.20")
    account.country = "US"
    account.save()
    assert services.pay(account, card(), now=NOW, ip="198.51.100.20").state == "active"
    assert hits() == {}
    assert flags(account) == []


# --- Sign-up ---------------------------------------------------------------------------


def test_disposable_email_is_refused_by_default_and_reviewed_if_set(settings):
    # False positives: a member who really uses a throwaway-mail service for privacy.
    with pytest.raises(Exception, match="not accepted") as caught:
        create_account("throwaway", PASSWORD, "x@mailinator.com", ip="198.51.100.1")
    assert caught.value.error_dict["email"][0].code == "disposable"
    settings.OBOLE_DISPOSABLE_EMAIL = "review"
    account = create_account("throwaway", PASSWORD, "x@mailinator.com", ip="198.51.100.1")
    assert flags(account) == ["disposable_email"]
    assert hits()["disposable_email"] == 2


def test_sign_ups_are_limited_per_network_as_well_as_per_address(settings):
    # False positives: a university, office or carrier-grade NAT sharing one /24.
    settings.OBOLE_SIGNUPS_PER_IP = 10
    settings.OBOLE_SIGNUPS_PER_NETWORK = 3
    for i in range(3):
        create_account(f"farm{i}", PASSWORD, ip=f"203.0.113.{i + 1}")
    with pytest.raises(Exception, match="Too many accounts") as caught:
        create_account("farm3", PASSWORD, ip="203.0.113.200")
    assert caught.value.error_dict["__all__"][0].code == "throttled"
    create_account("elsewhere", PASSWORD, ip="198.51.100.9")
    assert hits() == {"signups_per_network": 1}


def test_a_failed_sign_up_gives_its_place_back(settings):
    settings.OBOLE_SIGNUPS_PER_IP = 1
    create_account("taken", PASSWORD, ip="203.0.113.5")
    settings.OBOLE_SIGNUPS_PER_IP = 2
    with pytest.raises(Exception, match="taken"):
        create_account("taken", PASSWORD, ip="203.0.113.5")
    create_account("second", PASSWORD, ip="203.0.113.5")  # the failed attempt did not use up the slot


def test_a_block_rule_refuses_a_sign_up(settings):
    settings.OBOLE_TRUST_RULES = 'block if email_domain == "spam.example"'
    with pytest.raises(Exception, match="not accepted"):
        create_account("spammer", PASSWORD, "a@spam.example", ip="203.0.113.5")
    create_account("fine", PASSWORD, "a@example.org", ip="203.0.113.5")
    assert hits() == {'rule: block if email_domain == "spam.example"': 1}


# --- Payment ---------------------------------------------------------------------------


def test_prepaid_policy_allow_review_deny(settings, newcomer):
    # False positives: members without a bank account, or who pay prepaid for privacy.
    settings.OBOLE_PREPAID_CARDS = "deny"
    with pytest.raises(CardRejected, match="Prepaid cards are not accepted"):
        services.pay(newcomer, card(PREPAID), now=NOW)
    settings.OBOLE_PREPAID_CARDS = "review"
    assert services.pay(newcomer, card(PREPAID), now=NOW).state == "active"
    assert flags(newcomer) == ["prepaid_card"]
    assert hits() == {"prepaid_card": 2}


def test_a_card_from_another_country_sends_the_account_to_review(settings, newcomer):
    # False positives: travellers, expatriates, members who moved.
    newcomer.country = "FR"
    newcomer.save()
    assert services.pay(newcomer, card(BRAZILIAN), now=NOW).state == "active"
    assert flags(newcomer) == ["card_country_mismatch: card BR, account FR"]
    settings.OBOLE_CARD_COUNTRY_MISMATCH = "deny"
    other = make_account("other")
    other.country = "FR"
    other.save()
    with pytest.raises(CardRejected, match="outside your country"):
        services.pay(other, card(BRAZILIAN), now=NOW)


def test_a_review_rule_flags_and_a_block_rule_refuses(settings):
    settings.OBOLE_TRUST_RULES = 'review if funding == "prepaid"\nblock if cards_per_network_per_hour > 2'
    a, b, c = (make_account(name) for name in ("ann", "bob", "cid"))
    services.pay(a, card(PREPAID), now=NOW, ip="203.0.113.1")
    assert flags(a) == ['rule: review if funding == "prepaid"']
    services.pay(b, card(numbered_card(2)), now=NOW, ip="203.0.113.2")
    with pytest.raises(CardRejected, match="cannot be used"):
        services.pay(c, card(numbered_card(3)), now=NOW, ip="203.0.113.3")
    assert services.pay(c, card(numbered_card(3)), now=NOW, ip="198.51.100.3").state == "active"
    assert hits()["rule: block if cards_per_network_per_hour > 2"] == 1


def test_failed_attempts_are_limited_per_card_across_accounts(settings):
    # False positives: a member's own card declined repeatedly (then they wait an hour).
    settings.OBOLE_PAYMENT_FAILURES_PER_CARD = 3
    accounts = [make_account(f"t{i}") for i in range(4)]
    for account in accounts[:3]:
        with pytest.raises(PaymentDeclined):
            services.pay(account, card(DECLINED), now=NOW, ip=f"198.51.100.{account.pk % 200}")
    with pytest.raises(TooManyAttempts):
        services.pay(accounts[3], card(DECLINED), now=NOW, ip="192.0.2.1")
    assert hits() == {"failures_per_card": 1}


def test_a_card_testing_attack_from_one_network_is_stopped_after_the_configured_failures(settings):
    """A scripted attacker rotates addresses inside one /24 and accounts, trying a new number each time."""
    settings.OBOLE_PAYMENT_FAILURES_PER_NETWORK = 10
    stopped = 0
    for i in range(30):
        account = create_account(f"tester{i}", PASSWORD)
        try:
            services.pay(
                account, card(luhn_invalid(i)), now=NOW + timedelta(seconds=i), ip=f"203.0.113.{i + 1}"
            )
        except TooManyAttempts:
            stopped += 1
        except CardRejected:
            pass
    assert PaymentAttempt.objects.filter(succeeded=False).count() == 10
    assert stopped == 20
    # Even a good card is refused from that network until the hour is over; elsewhere it works.
    late = create_account("late", PASSWORD)
    with pytest.raises(TooManyAttempts, match="Too many failed payment attempts"):
        services.pay(late, card(), now=NOW + timedelta(minutes=1), ip="203.0.113.99")
    assert services.pay(late, card(), now=NOW + timedelta(minutes=1), ip="198.51.100.99").state == "active"
    assert hits() == {"failures_per_network": 21}


def test_screening_counts_every_rule_per_day():
    screening.admit_signup(ip=None, email="a@example.org", country="", now=NOW)
    assert hits() == {}


# --- One client address for every per-address limit ------------------------------------


FORGED = {"HTTP_X_FORWARDED_FOR": "192.0.2.77"}


def test_a_forged_forwarded_for_is_ignored_by_the_sign_up_limit(settings):
    settings.OBOLE_SIGNUPS_PER_IP = 1
    client = Client(REMOTE_ADDR="203.0.113.9", **FORGED)
    assert client.post("/auth/sign_up", {"username": "one", "password": PASSWORD}).status_code == 302
    client = Client(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="192.0.2.78")
    assert client.post("/auth/sign_up", {"username": "two", "password": PASSWORD}).status_code == 429


def test_a_forged_forwarded_for_is_ignored_by_the_sign_in_limit(settings, member):
    settings.OBOLE_LOGIN_FAILURES_PER_IP = 2
    settings.OBOLE_LOGIN_FAILURES_PER_IP_AND_USERNAME = 0
    for n in range(2):
        client = Client(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
        client.post("/auth/sign_in", {"username": "mary", "password": "wrong"})
    client = Client(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="192.0.2.50")
    response = client.post("/auth/sign_in", {"username": "mary", "password": PASSWORD})
    assert response.status_code == 429


def test_a_forged_forwarded_for_is_ignored_by_the_payment_limits(settings, newcomer):
    from tests.conftest import Api, token_for

    settings.OBOLE_PAYMENT_FAILURES_PER_IP = 2
    settings.OBOLE_PAYMENT_FAILURES_PER_ACCOUNT = 0
    settings.OBOLE_PAYMENT_FAILURES_PER_CARD = 0
    api = Api(token_for(newcomer))
    body = {"card_number": DECLINED, "exp_month": 12, "exp_year": 2030, "cvc": "123"}
    for n in range(3):
        response = api.post(
            "/api/obole/v1/membership/payment_method", body, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}"
        )
    assert response.status_code == 429
    assert set(PaymentAttempt.objects.values_list("ip", flat=True)) == {"127.0.0.1"}


def test_a_forged_forwarded_for_is_ignored_by_the_api_rate_limit(settings):
    settings.OBOLE_RATE_LIMIT_REQUESTS = 3
    statuses = []
    for n in range(4):
        client = Client(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
        statuses.append(client.get("/api/v1/timelines/public").status_code)
    assert statuses == [200, 200, 200, 429]


def test_the_api_sign_up_explains_a_refusal_with_a_4xx(settings):
    from tests.test_api_accounts import app_token, sign_up

    token = app_token()
    response = sign_up(token, username="throwaway", email="x@mailinator.com")
    assert response.status_code == 422
    assert response.json()["details"]["email"][0]["description"].startswith(
        "Addresses at this e-mail provider"
    )
    settings.OBOLE_TRUST_RULES = 'block if email_domain == "spam.example"'
    response = sign_up(token, username="spammer", email="x@spam.example")
    assert response.status_code == 422
    assert "not accepted" in response.json()["error"]
    settings.OBOLE_SIGNUPS_PER_NETWORK = 1
    assert sign_up(token, username="first", email="a@example.org").status_code == 200
    response = sign_up(token, username="second", email="b@example.org")
    assert response.status_code == 429 and "Too many accounts" in response.json()["error"]
