"""Limits hold exactly when requests race: many threads, each with its own database connection.

Before the counters were atomic, 30 simultaneous sign-ups from one address made
29 accounts against a limit of 10 on PostgreSQL, and 20 simultaneous declined
payments let 7 reach the provider against a limit of 5.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from obole.accounts.models import Account
from obole.accounts.services import create_account
from obole.membership import services
from obole.membership.errors import PaymentDeclined, TooManyAttempts
from obole.membership.models import PaymentAttempt
from tests.conftest import NOW, PASSWORD, card

pytestmark = pytest.mark.django_db(transaction=True)


def race(count: int, work) -> list[str]:
    """Run `work(i)` in `count` threads released at the same moment; return each outcome's name."""
    start = threading.Barrier(count)

    def run(i: int) -> str:
        try:
            start.wait()
            return work(i)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def test_thirty_simultaneous_sign_ups_from_one_address_make_exactly_the_limit(settings):
    settings.OBOLE_SIGNUPS_PER_IP = 10

    def sign_up(i: int) -> str:
        try:
            create_account(f"racer{i}", PASSWORD, ip="203.0.113.7")
        except ValidationError as error:
            return error.error_dict["__all__"][0].code
        return "created"

    outcomes = race(30, sign_up)
    assert outcomes.count("created") == 10
    assert outcomes.count("throttled") == 20
    assert Account.objects.filter(signup_ip="203.0.113.7").count() == 10


def test_twenty_simultaneous_declined_payments_let_exactly_the_limit_reach_the_provider(settings):
    settings.OBOLE_PAYMENT_FAILURES_PER_ACCOUNT = 5
    account = create_account("carder", PASSWORD)

    def pay(i: int) -> str:
        try:
            services.pay(account, card("4000000000000002"), now=NOW, ip="203.0.113.8")
        except PaymentDeclined:
            return "declined"
        except TooManyAttempts:
            return "refused"
        return "paid"

    outcomes = race(20, pay)
    assert outcomes.count("declined") == 5
    assert outcomes.count("refused") == 15
    assert PaymentAttempt.objects.filter(account=account).count() == 5
