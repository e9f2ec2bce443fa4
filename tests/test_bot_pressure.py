"""Bot pressure: every refusal names its rule in the answer and is counted per day, stage and rule.

The counts keep no address, account or card: a day, a stage, a rule and a number.
The sandbox's prepaid and fail-on-charge ranges behave as the README's test-card table says.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from obole.membership import states
from obole.membership.models import Membership
from obole.trust.models import Refusal
from tests.conftest import Api, make_account
from tests.test_api_accounts import GOOD_SIGN_UP, app_token

pytestmark = pytest.mark.django_db


def counted() -> dict[tuple[str, str], int]:
    found: dict[tuple[str, str], int] = {}
    for stage, rule, count in Refusal.objects.values_list("stage", "rule", "count"):
        found[(stage, rule)] = found.get((stage, rule), 0) + count
    return found


def pay(api: Api, number: str, cvc: str = "123"):
    return api.post(
        "/api/obole/v1/membership/payment_method",
        {"card_number": number, "exp_month": 12, "exp_year": 2035, "cvc": cvc},
    )


def test_refusals_name_their_rule_and_are_counted_per_stage_and_rule(settings, api_as):
    settings.OBOLE_SIGNUPS_PER_IP = 1
    settings.OBOLE_PAYMENT_FAILURES_PER_ACCOUNT = 3
    token = app_token()
    first = Api(token).post("/api/v1/accounts", GOOD_SIGN_UP)
    assert first.status_code == 200
    again = Api(token).post(
        "/api/v1/accounts", GOOD_SIGN_UP | {"username": "paula2", "email": "p2@example.org"}
    )
    assert again.status_code == 429
    assert again.json()["rule"] == "signups_per_ip"
    settings.OBOLE_SIGNUPS_PER_IP = 0
    throwaway = Api(token).post(
        "/api/v1/accounts", GOOD_SIGN_UP | {"username": "paula3", "email": "x@mailinator.com"}
    )
    assert throwaway.status_code == 422
    assert throwaway.json()["rule"] == "disposable_email"
    assert throwaway.json()["details"]["email"][0]["error"]  # still Mastodon's shape

    newcomer = make_account("nora")
    api = api_as(newcomer)
    written = api.post("/api/v1/statuses", {"status": "hello"})
    assert (written.status_code, written.json()["rule"]) == (402, "not_paid")
    typo = pay(api, "4242424242424241")
    assert (typo.status_code, typo.json()["rule"]) == (422, "invalid_card_number")
    declined = pay(api, "4000000000000002")
    assert (declined.status_code, declined.json()["rule"]) == (402, "generic_decline")
    assert pay(api, "4000000000009995").json()["rule"] == "insufficient_funds"
    locked_out = pay(api, "4242424242424242")
    assert (locked_out.status_code, locked_out.json()["rule"]) == (429, "failures_per_account")

    member = make_account("mara", paid=True, number="4242424242424242", now=timezone.now())
    taken = pay(api_as(make_account("otto")), "4242424242424242")
    assert (taken.status_code, taken.json()["rule"]) == (422, "card_in_use")
    assert member.membership.state == states.ACTIVE

    assert counted() == {
        ("sign_up", "signups_per_ip"): 1,
        ("sign_up", "disposable_email"): 1,
        ("write", "not_paid"): 1,
        ("payment", "invalid_card_number"): 1,
        ("payment", "generic_decline"): 1,
        ("payment", "insufficient_funds"): 1,
        ("payment", "failures_per_account"): 1,
        ("payment", "card_in_use"): 1,
    }
    assert set(Refusal.objects.values_list("day", flat=True)) == {timezone.now().date()}
    # Counts only: nothing that could tell who was refused.
    assert {field.name for field in Refusal._meta.get_fields()} == {"id", "day", "stage", "rule", "count"}


def test_rate_limits_are_counted_at_the_stage_they_guard(settings, db):
    settings.OBOLE_RATE_LIMIT_REQUESTS = 1
    app = {"client_name": "farm", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": "read write"}
    assert Api(None).post("/api/v1/apps", app).status_code == 200
    refused = Api(None).post("/api/v1/apps", app)
    assert (refused.status_code, refused.json()["rule"]) == (429, "rate_limit_requests")
    assert Api(None).get("/api/v1/instance").status_code == 429  # reading is not bot pressure
    assert counted() == {("app_registration", "rate_limit_requests"): 1}


def test_obole_trust_stats_prints_bot_pressure(api_as, capsys):
    api = api_as(make_account("nora"))
    pay(api, "4242424242424241")
    pay(api, "4242424242424241")
    api.post("/api/v1/statuses", {"status": "hello"})
    call_command("trust", "stats", "--since", "1d")
    printed = capsys.readouterr().out
    assert "Bot pressure" in printed
    line = next(line for line in printed.splitlines() if "payment: invalid_card_number" in line)
    assert line.split()[-1] == "2"
    assert "write: not_paid" in printed


@pytest.mark.parametrize(
    ("number", "brand", "cvc"),
    [
        ("5105105105105100", "mastercard", "123"),  # Stripe's one prepaid test card
        ("5105100000000019", "mastercard", "123"),
        ("4000990000000012", "visa", "123"),
        ("378299000000010", "amex", "1234"),
    ],
)
def test_prepaid_cards_are_accepted_or_refused_as_the_policy_says(number, brand, cvc, settings, api_as):
    settings.OBOLE_PREPAID_CARDS = "deny"
    api = api_as(make_account("pat"))
    refused = pay(api, number, cvc)
    assert (refused.status_code, refused.json()["rule"]) == (422, "prepaid_card")
    settings.OBOLE_PREPAID_CARDS = "allow"  # the default
    assert pay(api, number, cvc).status_code == 200
    method = Membership.objects.get(account__username="pat").payment_method
    assert (method.funding, method.brand) == ("prepaid", brand)
    assert counted() == {("payment", "prepaid_card"): 1}


@pytest.mark.parametrize(
    ("number", "cvc"),
    [
        ("4000000000000341", "123"),  # Stripe's
        ("4000340000000010", "123"),
        ("5555340000000016", "123"),
        ("378234000000017", "1234"),
        ("6011340000000012", "123"),
    ],
)
def test_cards_that_fail_when_charged_lapse_at_renewal(number, cvc, api_as):
    now = timezone.now()
    account = make_account("fay")
    api = api_as(account)
    first = pay(api, number, cvc)
    assert (first.status_code, first.json()["rule"]) == (402, "card_declined")  # as a first payment
    assert pay(api, "4242424242424242").status_code == 200
    swapped = pay(api, number, cvc)  # attaches: an active membership is charged at renewal
    assert swapped.status_code == 200 and swapped.json()["state"] == states.ACTIVE
    for day in (31, 33, 35, 38):
        call_command("billing", "run", "--as-of", (now + timedelta(days=day)).isoformat())
    assert Membership.objects.get(pk=account.pk).state == states.LAPSED
    written = api.post("/api/v1/statuses", {"status": "still here?"})
    assert (written.status_code, written.json()["rule"]) == (402, "membership_lapsed")
