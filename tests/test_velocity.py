"""Velocity limits: failed payments per account and per address, sign-ups per address."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from obole.membership import services, states
from obole.membership.errors import PaymentDeclined, TooManyAttempts
from obole.membership.models import PaymentAttempt
from tests.conftest import NOW, PASSWORD, Api, card, make_account, token_for

pytestmark = pytest.mark.django_db

DECLINED = "4000000000000002"


def fail(account, *, ip="203.0.113.7", now=NOW, times=1):
    for _ in range(times):
        with pytest.raises(PaymentDeclined):
            services.pay(account, card(DECLINED), now=now, ip=ip)


def test_after_five_failures_in_an_hour_even_a_good_card_waits(newcomer):
    fail(newcomer, times=5)
    with pytest.raises(TooManyAttempts, match="wait 60 minutes") as caught:
        services.pay(newcomer, card("4242424242424242"), now=NOW + timedelta(seconds=1), ip="203.0.113.7")
    assert caught.value.status == 429
    newcomer.membership.refresh_from_db()
    assert newcomer.membership.state == states.PENDING_PAYMENT
    # An hour after the first failure, the member may try again.
    later = NOW + timedelta(hours=1, seconds=1)
    assert services.pay(newcomer, card("4242424242424242"), now=later).state == states.ACTIVE


def test_attempts_are_counted_with_their_reason_and_without_card_data(newcomer):
    fail(newcomer)
    with pytest.raises(Exception, match="invalid"):
        services.pay(newcomer, card("4242424242424241"), now=NOW, ip="203.0.113.7")
    services.pay(newcomer, card("4242424242424242"), now=NOW, ip="203.0.113.7")
    reasons = list(PaymentAttempt.objects.order_by("id").values_list("succeeded", "reason", "ip"))
    assert reasons == [
        (False, "generic_decline", "203.0.113.7"),
        (False, "invalid_card_number", "203.0.113.7"),
        (True, "", "203.0.113.7"),
    ]


def test_one_address_trying_cards_for_many_accounts_is_stopped(db, settings):
    settings.OBOLE_PAYMENT_FAILURES_PER_IP = 6
    settings.OBOLE_PAYMENT_FAILURES_PER_CARD = 0  # the same test card is declined for all four
    accounts = [make_account(f"tester{i}") for i in range(4)]
    for account in accounts[:3]:
        fail(account, times=2)
    with pytest.raises(TooManyAttempts):
        services.pay(accounts[3], card("4242424242424242"), now=NOW, ip="203.0.113.7")
    # Another address is not affected.
    assert services.pay(accounts[3], card("4242424242424242"), now=NOW, ip="198.51.100.1").state == "active"


def test_limits_can_be_switched_off(newcomer, settings):
    settings.OBOLE_PAYMENT_FAILURES_PER_ACCOUNT = 0
    settings.OBOLE_PAYMENT_FAILURES_PER_IP = 0
    settings.OBOLE_PAYMENT_FAILURES_PER_NETWORK = 0
    settings.OBOLE_PAYMENT_FAILURES_PER_CARD = 0
    fail(newcomer, times=8)


def test_the_api_answers_429_with_an_error(newcomer):
    fail(newcomer, ip="127.0.0.1", now=timezone.now(), times=5)
    response = Api(token_for(newcomer)).post(
        "/api/obole/v1/membership/payment_method",
        {"card_number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"},
    )
    assert response.status_code == 429
    assert response.json()["error"].startswith("Too many failed payment attempts.")


def test_sign_ups_from_one_address_are_limited(db, settings):
    settings.OBOLE_SIGNUPS_PER_IP = 3
    client = Client(REMOTE_ADDR="203.0.113.9")
    for i in range(3):
        response = client.post("/auth/sign_up", {"username": f"farm{i}", "password": PASSWORD})
        assert response.status_code == 302
        client.post("/auth/sign_out")
    response = client.post("/auth/sign_up", {"username": "farm3", "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many accounts were created from your network" in response.content.decode()
    other = Client(REMOTE_ADDR="198.51.100.2")
    assert other.post("/auth/sign_up", {"username": "neighbour", "password": PASSWORD}).status_code == 302
