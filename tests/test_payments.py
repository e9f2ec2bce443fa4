"""Membership and billing through each payment provider: every test here runs with the sandbox
and with Stripe (the real SDK against localstripe), via the `provider` fixture."""

from __future__ import annotations

from datetime import timedelta

import pytest

from obole.membership import billing, services, states
from obole.membership.errors import CardRejected, PaymentDeclined
from obole.membership.models import Invoice, LedgerEntry, PaymentMethod, ledger
from obole.membership.models import invoice as inv
from tests.conftest import NOW, make_account
from tests.stripe_fixtures import Declined

GOOD = "4242424242424242"
DECLINED = "4000000000000002"
FAILS_ON_CHARGE = "4000000000000341"


def pay(provider, account, number=GOOD, now=NOW):
    return services.pay(account, provider.source(account, number), now=now)


def test_a_good_card_pays_the_first_period(provider, db):
    account = make_account("ada")
    membership = pay(provider, account)
    assert membership.state == states.ACTIVE
    charge = LedgerEntry.objects.get(account=account, kind=ledger.CHARGE)
    assert (charge.amount, charge.currency, charge.provider) == (300, "USD", provider.name)
    method = PaymentMethod.objects.get(account=account)
    assert (method.last4, method.exp_month, method.exp_year) == ("4242", 12, 2030)
    assert method.provider_ref.startswith("pm_")


def test_a_declined_card_is_refused_and_nothing_is_charged(provider, db):
    account = make_account("ada")
    with pytest.raises((PaymentDeclined, Declined)):
        pay(provider, account, DECLINED)
    account.membership.refresh_from_db()
    assert account.membership.state == states.PENDING_PAYMENT
    assert not LedgerEntry.objects.exists()


def test_a_card_that_fails_when_charged_leaves_the_account_unpaid_and_lets_the_card_go(provider, db):
    account = make_account("ada")
    with pytest.raises(PaymentDeclined, match="declined"):
        pay(provider, account, FAILS_ON_CHARGE)
    account.membership.refresh_from_db()
    assert account.membership.state == states.PENDING_PAYMENT
    assert account.membership.payment_method is None
    assert Invoice.objects.get().status == inv.FAILED
    assert not LedgerEntry.objects.exists()


def test_a_second_account_with_the_same_card_is_refused_before_any_charge(provider, db):
    first, second = make_account("ada"), make_account("bob")
    pay(provider, first)
    with pytest.raises(CardRejected, match="already pays for another"):
        pay(provider, second)
    assert LedgerEntry.objects.filter(account=second).count() == 0
    assert not Invoice.objects.filter(membership=second.membership).exists()
    if provider.name == "stripe":
        # The refused card was detached from the second account's Stripe customer.
        from obole.membership.providers import get_provider

        refused = get_provider().client.v1.payment_methods.list(
            {"customer": get_provider().customer_for(second), "type": "card"}
        )
        assert list(refused.data) == []


def test_renewal_charges_each_period_once_with_the_invoice_key(provider, db):
    account = make_account("ada")
    later = pay(provider, account).paid_until + timedelta(hours=1)
    assert billing.run(later).paid == 1
    assert billing.run(later).paid == 0  # a rerun charges nothing
    charges = LedgerEntry.objects.filter(account=account, kind=ledger.CHARGE)
    assert charges.count() == 2
    assert len(set(charges.values_list("provider_ref", flat=True))) == 2
    account.membership.refresh_from_db()
    assert account.membership.state == states.ACTIVE


def test_a_failing_renewal_is_retried_then_lapses(provider, db):
    account = make_account("ada")
    pay(provider, account)
    # An active member changes to a card that attaches but fails when charged: no charge now.
    pay(provider, account, FAILS_ON_CHARGE)
    assert LedgerEntry.objects.count() == 1
    account.membership.refresh_from_db()
    end = account.membership.paid_until
    billing.run(end + timedelta(hours=1))
    account.membership.refresh_from_db()
    assert account.membership.state == states.PAST_DUE
    invoice = Invoice.objects.get(kind=inv.RENEWAL)
    assert invoice.attempts == 1
    for day in (1, 3, 5):
        billing.run(end + timedelta(days=day, hours=1))
    invoice.refresh_from_db()
    account.membership.refresh_from_db()
    assert (invoice.status, invoice.attempts) == (inv.FAILED, 4)
    assert account.membership.state == states.LAPSED


def test_a_refund_enters_the_ledger(provider, db):
    account = make_account("ada")
    pay(provider, account)
    charge = LedgerEntry.objects.get(kind=ledger.CHARGE)
    refund = services.refund(charge, amount=100, now=NOW)
    assert (refund.kind, refund.amount, refund.charge_id) == (ledger.REFUND, -100, charge.pk)


def test_the_price_follows_the_cards_issuing_country(provider, db, settings):
    # localstripe issues every card in France; the sandbox knows Stripe's international test cards.
    settings.OBOLE_FEE_BY_COUNTRY = "FR=2.50 EUR; GB=2.00 GBP"
    account = make_account("ada")
    account.country = "US"  # declared: only a fallback
    account.save(update_fields=["country"])
    number = "4000002500000003" if provider.name == "sandbox" else GOOD
    pay(provider, account, number)
    charge = LedgerEntry.objects.get(kind=ledger.CHARGE)
    assert (charge.amount, charge.currency) == (250, "EUR")
    assert PaymentMethod.objects.get().country == "FR"
