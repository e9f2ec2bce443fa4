"""What only the Stripe provider does: 3-D Secure, Stripe's webhooks, decline advice, card rules
read from the PaymentMethod. The real SDK against localstripe; where localstripe has no such
object (disputes, fraud warnings, a card without fingerprint) a recorded Stripe object is served."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import stripe
from django.test import Client

from obole.membership import billing, invoices, services, states
from obole.membership.errors import AuthenticationRequired, CardRejected
from obole.membership.models import (
    CardFingerprint,
    FraudWarning,
    Invoice,
    LedgerEntry,
    PaymentMethod,
    WebhookEvent,
    ledger,
)
from obole.membership.models import invoice as inv
from obole.membership.providers import get_provider
from obole.membership.providers.stripe import _declined
from tests.conftest import NOW, PASSWORD, make_account
from tests.stripe_fixtures import PUBLISHABLE_KEY, _post_json
from tests.test_settings import run_obole

THREE_D_SECURE = "4000002500003155"
WEBHOOK = "/api/obole/v1/webhooks/stripe"


def send(event: tuple[bytes, str]):
    body, header = event
    return Client().post(WEBHOOK, body, content_type="application/json", headers={"Stripe-Signature": header})


def paid(cards, name="ada"):
    account = make_account(name)
    services.pay(account, cards.source(account), now=NOW)
    return account, LedgerEntry.objects.get(account=account, kind=ledger.CHARGE)


def authenticate(cards, intent_id: str) -> None:
    """What Stripe.js does when the member passes the bank's check on the confirm page."""
    intent = get_provider().client.v1.payment_intents.retrieve(intent_id)
    status, body = _post_json(
        f"{cards.base}/v1/payment_intents/{intent_id}/_authenticate?success=true",
        {"key": PUBLISHABLE_KEY, "client_secret": intent.client_secret},
    )
    assert status == 200, body


def test_a_card_that_needs_the_member_waits_for_them_and_is_completed_on_the_confirm_page(
    stripe_provider, db
):
    account = make_account("ada")
    with pytest.raises(AuthenticationRequired) as refused:
        services.pay(account, stripe_provider.source(account, THREE_D_SECURE), now=NOW)
    invoice = Invoice.objects.get()
    assert refused.value.url.endswith(f"/membership/confirm/{invoice.pk}")
    assert (invoice.status, invoice.next_attempt_at, invoice.last_error) == (
        inv.OPEN,
        None,
        "authentication_required",
    )
    assert billing.run(NOW + timedelta(days=2)).paid == 0  # dunning does not touch it
    authenticate(stripe_provider, invoice.pending_ref)
    browser = Client()
    assert browser.login(username="ada", password=PASSWORD)
    assert browser.get(refused.value.url).status_code == 200
    assert browser.post(refused.value.url).status_code == 302
    account.membership.refresh_from_db()
    assert account.membership.state == states.ACTIVE
    # Stripe's webhook for the same payment changes nothing more.
    intent = get_provider().client.v1.payment_intents.retrieve(invoice.pending_ref).to_dict()
    assert send(stripe_provider.signed_event("payment_intent.succeeded", intent)).json()["received"]
    assert LedgerEntry.objects.filter(kind=ledger.CHARGE).count() == 1
    # Another account cannot see or complete it.
    make_account("bob")
    outsider = Client()
    outsider.login(username="bob", password=PASSWORD)
    assert outsider.get(refused.value.url).status_code == 404


def test_a_renewal_that_needs_authentication_pauses_dunning_until_the_webhook_says_it_was_paid(
    stripe_provider, db
):
    account, _ = paid(stripe_provider)
    services.pay(account, stripe_provider.source(account, THREE_D_SECURE), now=NOW)  # a new card, no charge
    end = NOW + timedelta(days=30)
    billing.run(end + timedelta(hours=1))
    account.membership.refresh_from_db()
    assert account.membership.state == states.PAST_DUE
    invoice = Invoice.objects.get(kind=inv.RENEWAL)
    assert (invoice.status, invoice.next_attempt_at) == (inv.OPEN, None)
    billing.run(end + timedelta(days=6))
    invoice.refresh_from_db()
    assert invoice.attempts == 1  # paused: no scheduled retry
    authenticate(stripe_provider, invoice.pending_ref)
    intent = get_provider().client.v1.payment_intents.retrieve(invoice.pending_ref).to_dict()
    event = stripe_provider.signed_event("payment_intent.succeeded", intent)
    assert send(event).json() == {"received": True, "duplicate": False}
    assert send(event).json() == {"received": True, "duplicate": True}
    account.membership.refresh_from_db()
    assert account.membership.state == states.ACTIVE
    assert LedgerEntry.objects.filter(kind=ledger.CHARGE).count() == 2


def test_a_forged_a_stale_and_an_unsigned_webhook_are_refused(stripe_provider, db):
    obj = {"id": "pm_x", "object": "payment_method", "card": {}}
    body, header = stripe_provider.signed_event("payment_method.automatically_updated", obj)
    forged = header.replace("v1=", "v1=0")
    assert (
        Client()
        .post(WEBHOOK, body, content_type="application/json", headers={"Stripe-Signature": forged})
        .status_code
        == 400
    )
    stale = stripe_provider.signed_event("payment_method.automatically_updated", obj, age=301)
    response = send(stale)
    assert response.status_code == 400 and "error" in response.json()
    assert Client().post(WEBHOOK, body, content_type="application/json").status_code == 400
    tampered = body.replace(b"pm_x", b"pm_y")
    assert (
        Client()
        .post(WEBHOOK, tampered, content_type="application/json", headers={"Stripe-Signature": header})
        .status_code
        == 400
    )


def test_an_event_naming_an_object_stripe_does_not_know_is_refused_and_not_remembered(stripe_provider, db):
    event = stripe_provider.signed_event("charge.dispute.created", {"id": "dp_unknown", "object": "dispute"})
    response = send(event)
    assert response.status_code == 400
    assert "does not know" in response.json()["error"]
    assert not WebhookEvent.objects.exists()


def test_a_dispute_bans_the_account_and_blocklists_the_card_once(stripe_provider, db):
    account, charge = paid(stripe_provider)
    dispute = {
        "id": "dp_obole1",
        "object": "dispute",
        "amount": 300,
        "charge": charge.provider_ref,
        "status": "needs_response",
    }
    stripe_provider.record("/v1/disputes/dp_obole1", dispute)
    # The body claims a different amount: the re-fetched dispute is what counts.
    event = stripe_provider.signed_event(
        "charge.dispute.created", dict(dispute, amount=1), event_id="evt_dispute1"
    )
    assert send(event).json()["duplicate"] is False
    assert send(event).json()["duplicate"] is True
    account.membership.refresh_from_db()
    assert account.membership.state == states.BANNED
    entry = LedgerEntry.objects.get(kind=ledger.DISPUTE)
    assert entry.amount == -300
    assert CardFingerprint.objects.get(pk=PaymentMethod.objects.get().fingerprint_id).blocked_at is not None
    other = make_account("bob")
    with pytest.raises(CardRejected, match="cannot be used"):
        services.pay(other, stripe_provider.source(other), now=NOW)


def test_a_refund_made_at_stripe_enters_the_ledger_once(stripe_provider, db):
    account, charge = paid(stripe_provider)
    get_provider().client.v1.refunds.create({"charge": charge.provider_ref, "amount": 120})
    charge_object = get_provider().client.v1.charges.retrieve(charge.provider_ref).to_dict()
    event = stripe_provider.signed_event("charge.refunded", charge_object)
    send(event)
    send(event)
    assert list(LedgerEntry.objects.filter(kind=ledger.REFUND).values_list("amount", flat=True)) == [-120]


def test_an_early_fraud_warning_refunds_the_charge_and_lists_the_account_for_review(stripe_provider, db):
    account, charge = paid(stripe_provider)
    warning = {
        "id": "issfr_obole1",
        "object": "radar.early_fraud_warning",
        "charge": charge.provider_ref,
        "fraud_type": "made_with_stolen_card",
    }
    stripe_provider.record("/v1/radar/early_fraud_warnings/issfr_obole1", warning)
    event = stripe_provider.signed_event("radar.early_fraud_warning.created", warning)
    send(event)
    send(event)
    assert list(LedgerEntry.objects.filter(kind=ledger.REFUND).values_list("amount", flat=True)) == [-300]
    assert FraudWarning.objects.get().account_id == account.pk


def test_an_automatic_card_update_keeps_last4_and_expiry_current(stripe_provider, db):
    account, _ = paid(stripe_provider)
    method = PaymentMethod.objects.get()
    updated = get_provider().client.v1.payment_methods.retrieve(method.provider_ref).to_dict()
    updated["card"].update(last4="1881", exp_month=3, exp_year=2033)
    stripe_provider.record(f"/v1/payment_methods/{method.provider_ref}", updated)
    send(
        stripe_provider.signed_event(
            "payment_method.automatically_updated", {"id": method.provider_ref, "object": "payment_method"}
        )
    )
    method.refresh_from_db()
    assert (method.last4, method.exp_month, method.exp_year) == ("1881", 3, 2033)


def _recorded_card(cards, account, pm_id: str, **card):
    base = {
        "brand": "visa",
        "last4": "4242",
        "exp_month": 12,
        "exp_year": 2030,
        "country": "US",
        "funding": "credit",
    }
    customer = get_provider().customer_for(account)
    cards.record(
        f"/v1/payment_methods/{pm_id}",
        {"id": pm_id, "object": "payment_method", "type": "card", "customer": customer, "card": base | card},
    )
    return get_provider().attach_schema(payment_method=pm_id)


def test_a_card_without_a_fingerprint_is_refused(stripe_provider, db):
    account = make_account("ada")
    source = _recorded_card(stripe_provider, account, "pm_nofingerprint", fingerprint=None)
    with pytest.raises(CardRejected, match="cannot be identified"):
        services.pay(account, source, now=NOW)
    assert not Invoice.objects.exists()


def test_a_prepaid_card_is_refused_before_any_charge_when_the_policy_denies_it(stripe_provider, db, settings):
    settings.OBOLE_PREPAID_CARDS = "deny"
    account = make_account("ada")
    source = _recorded_card(
        stripe_provider, account, "pm_prepaid", fingerprint="fpPrepaid1", funding="prepaid"
    )
    with pytest.raises(CardRejected, match="Prepaid"):
        services.pay(account, source, now=NOW)
    assert not Invoice.objects.exists()


def test_a_payment_method_saved_to_another_customer_is_refused(stripe_provider, db):
    ada, bob = make_account("ada"), make_account("bob")
    pm = stripe_provider.payment_method(ada, "4242424242424242")
    get_provider().client.v1.payment_methods.attach(pm, {"customer": get_provider().customer_for(ada)})
    with pytest.raises(CardRejected, match="another customer"):
        services.pay(bob, get_provider().attach_schema(payment_method=pm), now=NOW)
    assert not Invoice.objects.exists()
    # Re-posting a card Obole has already seen is refused before Stripe is asked.
    services.pay(ada, get_provider().attach_schema(payment_method=pm), now=NOW)
    with pytest.raises(CardRejected, match="added already"):
        services.pay(bob, get_provider().attach_schema(payment_method=pm), now=NOW)


# Stripe's documented error body for an off-session charge of a lost card (localstripe has no decline codes).
LOST_CARD = {
    "error": {
        "type": "card_error",
        "code": "card_declined",
        "decline_code": "lost_card",
        "advice_code": "do_not_try_again",
        "charge": "ch_lost",
        "message": "Your card was declined.",
    }
}


def test_a_lost_card_is_never_retried_and_the_member_sees_a_plain_decline(stripe_provider, db):
    error = stripe.CardError(
        "Your card was declined.",
        None,
        "card_declined",
        http_body=json.dumps(LOST_CARD),
        http_status=402,
        json_body=LOST_CARD,
    )
    result = _declined(error)
    assert (result.decline_code, result.advice_code, result.retryable) == (
        "lost_card",
        "do_not_try_again",
        False,
    )
    assert result.message == "Your card was declined."
    account, _ = paid(stripe_provider)
    billing.run(NOW + timedelta(days=31))  # opens and tries the renewal with the good card
    invoices.open_renewals(NOW + timedelta(days=62))
    renewal = Invoice.objects.filter(kind=inv.RENEWAL, status=inv.OPEN).get()
    _, [claimed] = invoices.claim_batch(
        "run", now=NOW + timedelta(days=62), reclaim_after=timedelta(minutes=10), size=10
    )
    recorded = invoices.record_outcome(claimed.pk, claimed.attempts, result, now=NOW + timedelta(days=62))
    assert recorded.pk == renewal.pk and recorded.status == inv.FAILED
    account.membership.refresh_from_db()
    assert account.membership.state == states.LAPSED


def test_the_membership_api_takes_a_payment_method_id_and_names_the_payment_page(stripe_provider, db, api_as):
    account = make_account("ada")
    api = api_as(account)
    shown = api.get("/api/obole/v1/membership").json()
    assert shown["payment_url"] == "http://testserver/membership"
    refused = api.post("/api/v1/statuses", {"status": "hello"})
    assert refused.status_code == 402 and "http://testserver/membership" in refused.json()["error"]
    pm = stripe_provider.payment_method(account, "4242424242424242")
    response = api.post("/api/obole/v1/membership/payment_method", {"payment_method": pm})
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "active"
    assert (
        api.post("/api/obole/v1/membership/payment_method", {"card_number": "4242424242424242"}).status_code
        == 422
    )
    again = api.post("/api/obole/v1/membership/payment_method", {"payment_method": pm})
    assert again.status_code == 422 and "added already" in again.json()["error"]
    unknown = api.post("/api/obole/v1/membership/payment_method", {"payment_method": "pm_doesnotexist"})
    assert unknown.status_code == 422 and "unknown" in unknown.json()["error"]


def test_a_renewal_sent_while_stripe_is_out_of_reach_is_charged_once_when_it_is_back(
    stripe_provider, db, settings
):
    from obole.membership.providers import _provider
    from tests.live import free_port

    account, _ = paid(stripe_provider)
    renewal_time = NOW + timedelta(days=31)
    reachable = settings.OBOLE_STRIPE_API_BASE
    settings.OBOLE_STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    _provider.cache_clear()
    report = billing.run(renewal_time)
    assert (report.unanswered, report.paid, report.failed) == (1, 0, 0)
    assert Invoice.objects.get(kind=inv.RENEWAL).status == inv.CHARGING  # claimed, outcome unknown
    settings.OBOLE_STRIPE_API_BASE = reachable
    _provider.cache_clear()
    assert billing.run(renewal_time, reclaim_after=timedelta(0)).paid == 1
    assert LedgerEntry.objects.filter(kind=ledger.CHARGE).count() == 2


def test_production_refuses_the_sandbox(tmp_path):
    result = run_obole(
        tmp_path, "check", OBOLE_PRODUCTION="true", OBOLE_ALLOWED_HOSTS="obole.example",
        OBOLE_SECRET_KEY="s" * 40, OBOLE_FINGERPRINT_KEY="f" * 40, OBOLE_PAYMENT_PROVIDER="sandbox",
    )  # fmt: skip
    assert result.returncode == 2
    assert "OBOLE_PAYMENT_PROVIDER=sandbox takes no real money" in result.stderr


GOOD_KEYS = {
    "OBOLE_STRIPE_SECRET_KEY": "sk_test_x",
    "OBOLE_STRIPE_PUBLISHABLE_KEY": "pk_test_x",
    "OBOLE_STRIPE_WEBHOOK_SECRET": "whsec_x",
}


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("OBOLE_STRIPE_SECRET_KEY", "nope"),
        ("OBOLE_STRIPE_WEBHOOK_SECRET", ""),
        ("OBOLE_STRIPE_API_BASE", "api.stripe.com"),
    ],
)
def test_stripe_settings_must_be_present_and_well_formed(tmp_path, variable, value):
    variables = GOOD_KEYS | {"OBOLE_PAYMENT_PROVIDER": "stripe", variable: value}
    result = run_obole(tmp_path, "check", **variables)
    assert result.returncode == 2
    assert result.stderr.startswith("obole: configuration error: " + variable)


def test_a_charge_whose_run_died_is_recorded_from_stripes_webhook(stripe_provider, db):
    account, _ = paid(stripe_provider)
    services.pay(
        account, stripe_provider.source(account, THREE_D_SECURE), now=NOW
    )  # next renewal needs 3-D Secure
    renewal_time = NOW + timedelta(days=31)
    invoices.open_renewals(renewal_time)
    _, [claimed] = invoices.claim_batch("run", now=renewal_time, reclaim_after=timedelta(minutes=10), size=1)
    result = invoices.send_charge(claimed)  # …and the run dies before recording it
    intent = get_provider().client.v1.payment_intents.retrieve(result.provider_ref).to_dict()
    send(stripe_provider.signed_event("payment_intent.requires_action", intent))
    claimed.refresh_from_db()
    assert (claimed.status, claimed.next_attempt_at, claimed.pending_ref) == (inv.OPEN, None, intent["id"])
    account.membership.refresh_from_db()
    assert account.membership.state == states.PAST_DUE
