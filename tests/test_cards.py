"""Cards: the sandbox test-card table, the per-card account cap and the blocklist."""

from __future__ import annotations

from datetime import timedelta

import pytest

from obole.membership import billing, services, states
from obole.membership.errors import CardRejected, NotAllowed, PaymentDeclined
from obole.membership.models import CardFingerprint, Invoice, LedgerEntry, PaymentMethod
from tests.conftest import NOW, card, make_account

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("number", "brand", "funding"),
    [
        ("4242424242424242", "visa", "credit"),
        ("4000056655665556", "visa", "debit"),
        ("5555555555554444", "mastercard", "credit"),
        ("5200828282828210", "mastercard", "debit"),
        ("5105105105105100", "mastercard", "prepaid"),
        ("378282246310005", "amex", "credit"),
        ("6011111111111117", "discover", "credit"),
        ("3566002020360505", "jcb", "credit"),
    ],
)
def test_cards_that_succeed(newcomer, number, brand, funding):
    cvc = "1234" if brand == "amex" else "123"
    membership = services.pay(newcomer, card(number, cvc=cvc), now=NOW)
    assert membership.state == states.ACTIVE
    method = membership.payment_method
    assert (method.brand, method.last4, method.funding) == (brand, number[-4:], funding)
    assert LedgerEntry.objects.get(account=newcomer).amount == 300


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("4000000000000002", "Your card was declined."),
        ("4000000000009995", "Your card was declined: insufficient funds."),
        ("4000000000009987", "Your card was declined."),  # lost: told only "declined"
        ("4000000000009979", "Your card was declined."),  # stolen: the same
        ("4000000000000069", "Your card was declined: the card has expired."),
        ("4000000000000127", "Your card was declined: the security code (CVC) is incorrect."),
        (
            "4000000000000119",
            "Your card was declined: an error occurred while processing the card; try again.",
        ),
    ],
)
def test_cards_declined_when_attached(newcomer, number, message):
    with pytest.raises(PaymentDeclined) as caught:
        services.pay(newcomer, card(number), now=NOW)
    assert caught.value.message == message
    assert caught.value.status == 402
    newcomer.membership.refresh_from_db()
    assert newcomer.membership.state == states.PENDING_PAYMENT
    assert not PaymentMethod.objects.exists() and not LedgerEntry.objects.exists()


def test_a_card_that_attaches_but_fails_when_charged(newcomer):
    with pytest.raises(PaymentDeclined, match="Your card was declined."):
        services.pay(newcomer, card("4000000000000341"), now=NOW)
    newcomer.membership.refresh_from_db()
    assert newcomer.membership.state == states.PENDING_PAYMENT
    assert newcomer.membership.payment_method is None  # a failed first charge lets go of the card
    assert Invoice.objects.get().status == "failed"
    assert not LedgerEntry.objects.exists()
    # ...and the member can try again with a good card.
    assert services.pay(newcomer, card("4242424242424242"), now=NOW).state == states.ACTIVE


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"number": "4242424242424241"}, "card_number", "invalid"),
        ({"number": "4242"}, "card_number", "12 to 19 digits"),
        ({"number": "4242-4242-4242-424x"}, "card_number", "12 to 19 digits"),
        ({"exp_month": 13}, "exp_month", "between 1 and 12"),
        ({"exp_month": 10, "exp_year": 2026}, "exp_year", "expired"),
        ({"cvc": "12"}, "cvc", "3 digits"),
        ({"cvc": "abc"}, "cvc", "3 digits"),
    ],
)
def test_malformed_cards_are_rejected_before_the_provider_is_asked(newcomer, kwargs, field, message):
    with pytest.raises(CardRejected, match=message) as caught:
        services.pay(newcomer, card(**kwargs), now=NOW)
    assert caught.value.field == field
    assert not PaymentMethod.objects.exists()


def test_spaces_and_two_digit_years_are_understood(newcomer):
    membership = services.pay(newcomer, card("4242 4242 4242 4242", exp_year=31), now=NOW)
    assert membership.payment_method.exp_year == 2031


def test_a_card_pays_for_one_account_by_default(member, newcomer):
    with pytest.raises(CardRejected, match="already pays for another Obole account"):
        services.pay(newcomer, card("4242 4242 4242 4242"), now=NOW)
    newcomer.membership.refresh_from_db()
    assert newcomer.membership.state == states.PENDING_PAYMENT
    assert PaymentMethod.objects.filter(account=newcomer).count() == 0


def test_the_cap_is_configurable(member, settings):
    settings.OBOLE_ACCOUNTS_PER_CARD = 2
    second = make_account("second")
    third = make_account("third")
    assert services.pay(second, card("4242424242424242"), now=NOW).state == states.ACTIVE
    with pytest.raises(CardRejected, match="2 accounts"):
        services.pay(third, card("4242424242424242"), now=NOW)


def test_the_same_account_may_attach_its_own_card_again(member):
    membership = services.pay(member, card("4242424242424242", exp_year=2031), now=NOW)
    assert membership.payment_method.exp_year == 2031
    assert PaymentMethod.objects.filter(account=member, detached_at=None).count() == 1
    assert LedgerEntry.objects.filter(account=member).count() == 1  # no second charge while paid up


def test_a_card_is_free_again_once_its_account_has_ended(member, newcomer):
    services.cancel(member, now=NOW)
    billing.run(member.membership.paid_until)
    member.membership.refresh_from_db()
    assert member.membership.state == states.EXPIRED
    assert services.pay(newcomer, card("4242424242424242"), now=NOW).state == states.ACTIVE


def test_banning_blocklists_the_cards_of_the_account(member, newcomer):
    services.ban(member, reason="spam farm", now=NOW)
    member.membership.refresh_from_db()
    assert member.membership.state == states.BANNED
    blocked = CardFingerprint.objects.get()
    assert blocked.blocked_at == NOW and "spam farm" in blocked.blocked_reason
    with pytest.raises(CardRejected, match="cannot be used"):
        services.pay(newcomer, card("4242424242424242"), now=NOW)
    with pytest.raises(NotAllowed, match="banned"):
        services.pay(member, card("5555555555554444"), now=NOW)


def test_an_unbanned_account_must_pay_again_with_a_card_that_is_not_blocked(member):
    services.ban(member, reason="mistake", now=NOW)
    services.unban(member, now=NOW + timedelta(hours=1))
    member.membership.refresh_from_db()
    assert member.membership.state == states.EXPIRED
    later = NOW + timedelta(days=2)
    with pytest.raises(CardRejected):
        services.pay(member, card("4242424242424242"), now=later)
    assert services.pay(member, card("5555555555554444"), now=later).state == states.ACTIVE


def test_prepaid_cards_can_be_refused(newcomer, settings):
    settings.OBOLE_PREPAID_CARDS = "deny"
    with pytest.raises(CardRejected, match="Prepaid cards are not accepted"):
        services.pay(newcomer, card("5105105105105100"), now=NOW)


def test_a_second_payment_while_one_is_in_flight_is_refused(newcomer):
    from obole.membership.errors import PaymentInProgress
    from obole.membership.models import Membership

    Invoice.objects.create(
        membership=Membership.objects.get(pk=newcomer.pk), kind="first", period_start=NOW,
        period_end=NOW + timedelta(days=30), amount=300, currency="USD", status="charging",
        attempts=1, created_at=NOW,
    )  # fmt: skip
    with pytest.raises(PaymentInProgress):
        services.pay(newcomer, card("4242424242424242"), now=NOW)


# --- The one-card rule holds against swapping and respelling ----------------


def test_a_card_that_paid_the_current_period_stays_bound_after_a_swap(member, newcomer):
    """A pays with X, attaches Y; B tries X: refused before any charge is sent."""
    from obole.membership.models import SandboxCharge

    services.pay(member, card("5555555555554444"), now=NOW + timedelta(days=1))
    member.membership.refresh_from_db()
    assert member.membership.payment_method.last4 == "4444"
    charges_before = SandboxCharge.objects.count()
    with pytest.raises(CardRejected, match="already pays for another Obole account") as caught:
        services.pay(newcomer, card("4242424242424242"), now=NOW + timedelta(days=2))
    assert caught.value.status == 422
    assert SandboxCharge.objects.count() == charges_before
    assert not PaymentMethod.objects.filter(account=newcomer).exists()


def test_a_swapped_card_is_free_again_once_the_period_it_paid_has_ended(member, newcomer):
    services.pay(member, card("5555555555554444"), now=NOW + timedelta(days=1))
    billing.run(member.membership.paid_until + timedelta(minutes=1))  # renewed on the new card
    after = member.membership.paid_until + timedelta(hours=1)
    assert services.pay(newcomer, card("4242424242424242"), now=after).state == states.ACTIVE


def test_the_cap_counts_accounts_a_card_paid_for_before_a_swap(member, settings):
    settings.OBOLE_ACCOUNTS_PER_CARD = 2
    services.pay(member, card("5555555555554444"), now=NOW)
    second = make_account("second")
    assert services.pay(second, card("4242424242424242"), now=NOW).state == states.ACTIVE
    with pytest.raises(CardRejected, match="2 accounts"):
        services.pay(make_account("third"), card("4242424242424242"), now=NOW)


def test_swapping_back_to_the_card_that_paid_is_allowed(member):
    services.pay(member, card("5555555555554444"), now=NOW)
    assert services.pay(member, card("4242424242424242"), now=NOW).payment_method.last4 == "4242"


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("04242424242424242", "not a card number any card network issues"),  # "0" + a known card
        ("0000000000000000", "not a card number any card network issues"),
        ("000000000000", "not a card number any card network issues"),
        ("9999999999999995", "not a card number any card network issues"),
        ("42424242424242426", "A Visa card number is not 17 digits long"),
        ("55555555555544440", "A Mastercard card number is not 17 digits long"),
        ("3782822463100052", "American Express card number is not 16"),
    ],
)
def test_numbers_no_network_issues_are_refused(newcomer, number, message):
    from obole.membership.cards import luhn_valid

    assert luhn_valid(number)  # so only the new rule can refuse it
    with pytest.raises(CardRejected, match=message) as caught:
        services.pay(newcomer, card(number), now=NOW)
    assert (caught.value.field, caught.value.status) == ("card_number", 422)
    assert not CardFingerprint.objects.exists()


def test_a_leading_zero_does_not_make_a_card_in_use_look_new(member, api_as, newcomer):
    answer = api_as(newcomer).post(
        "/api/obole/v1/membership/payment_method",
        {"card_number": "0 4242 4242 4242 4242", "exp_month": 12, "exp_year": 2030, "cvc": "123"},
    )
    assert answer.status_code == 422
    assert "card network" in answer.json()["error"]
    assert CardFingerprint.objects.count() == 1
