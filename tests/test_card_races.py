"""The one-card rule under concurrency: accounts racing for one card, and a swap racing a payment."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection

from obole.membership import services, states
from obole.membership.errors import CardRejected, PaymentInProgress
from obole.membership.models import LedgerEntry, Membership, SandboxCharge
from tests.conftest import NOW, card, make_account

pytestmark = pytest.mark.django_db(transaction=True)

RACERS = 12


@pytest.fixture(autouse=True)
def _no_per_card_failure_limit(settings):
    # Eleven refusals of one card would otherwise trip the per-card limit on failed attempts
    # (obole.trust.screening) part-way: what is raced here is the one-card rule itself.
    settings.OBOLE_PAYMENT_FAILURES_PER_CARD = 0


def race(calls) -> list[object]:
    """Run each call in a thread of its own, all released at once; return what each returned or raised."""
    start = threading.Barrier(len(calls))
    outcomes: list[object] = [None] * len(calls)

    def runner(index: int) -> None:
        try:
            start.wait(timeout=30)
            outcomes[index] = calls[index]()
        except Exception as error:  # the outcome is what is checked
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def test_accounts_racing_for_one_card_get_it_once():
    accounts = [make_account(f"racer{i}") for i in range(RACERS)]
    outcomes = race([lambda a=a: services.pay(a, card("4242424242424242"), now=NOW) for a in accounts])
    paid = [o for o in outcomes if isinstance(o, Membership)]
    assert len(paid) == 1, outcomes
    assert all(isinstance(o, CardRejected | PaymentInProgress) for o in outcomes if o not in paid), outcomes
    assert Membership.objects.filter(state=states.ACTIVE).count() == 1
    assert LedgerEntry.objects.count() == SandboxCharge.objects.count() == 1


def test_a_swap_racing_a_payment_with_the_swapped_card_does_not_free_it():
    """A swaps card X for Y while the others try X at the same moment: X stays A's for the period."""
    owner = make_account("owner", paid=True, number="4242424242424242")
    others = [make_account(f"taker{i}") for i in range(RACERS - 1)]
    later = NOW + timedelta(days=3)
    calls = [lambda: services.pay(owner, card("5555555555554444"), now=later)]
    calls += [lambda a=a: services.pay(a, card("4242424242424242"), now=later) for a in others]
    outcomes = race(calls)
    assert isinstance(outcomes[0], Membership), outcomes[0]
    assert all(isinstance(o, CardRejected) for o in outcomes[1:]), outcomes
    assert Membership.objects.filter(state=states.ACTIVE).count() == 1
    assert SandboxCharge.objects.count() == 1  # only the owner's first payment
