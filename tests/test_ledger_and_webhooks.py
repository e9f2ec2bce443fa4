"""The append-only ledger, refunds, and signed provider webhooks (refunds, chargebacks)."""

from __future__ import annotations

import time

import pytest
from django.test import Client

from obole.membership import services, states
from obole.membership.models import CardFingerprint, LedgerEntry, SandboxRefund, WebhookEvent
from obole.membership.models.ledger import AppendOnlyError
from obole.membership.providers.base import CHARGE_REFUNDED, DISPUTE_CREATED
from obole.membership.providers.sandbox import SIGNATURE_HEADER, SandboxProvider
from tests.conftest import NOW, card, make_account

pytestmark = pytest.mark.django_db

WEBHOOK = "/api/obole/v1/webhooks/sandbox"
sandbox = SandboxProvider()


def the_charge(account) -> LedgerEntry:
    return LedgerEntry.objects.get(account=account, kind="charge")


def deliver(body: bytes, signature: str | None = None):
    headers = {SIGNATURE_HEADER: signature if signature is not None else sandbox.sign(body)}
    return Client().post(WEBHOOK, body, content_type="application/json", headers=headers)


# --- ledger -------------------------------------------------------------------


def test_ledger_entries_cannot_be_changed_or_deleted(member):
    entry = the_charge(member)
    entry.amount = 1
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        LedgerEntry.objects.filter(pk=entry.pk).update(amount=1)
    with pytest.raises(AppendOnlyError):
        LedgerEntry.objects.all().delete()
    assert the_charge(member).amount == 300


def test_revenue_is_derived_from_the_ledger(member, db, settings):
    other = make_account("paula", paid=True)
    services.refund(the_charge(other), amount=100, now=NOW)
    assert LedgerEntry.objects.revenue() == {"USD": 500}


# --- refunds ------------------------------------------------------------------


def test_a_partial_then_a_full_refund(member):
    charge = the_charge(member)
    first = services.refund(charge, amount=100, memo="goodwill", now=NOW)
    second = services.refund(charge, now=NOW)
    assert (first.amount, second.amount) == (-100, -200)
    assert SandboxRefund.objects.count() == 2
    with pytest.raises(ValueError, match="between 1 and 0"):
        services.refund(charge, amount=1, now=NOW)
    member.membership.refresh_from_db()
    assert member.membership.state == states.ACTIVE  # a refund is money, not a state change


def test_a_refund_cannot_exceed_the_charge(member):
    with pytest.raises(ValueError):
        services.refund(the_charge(member), amount=301, now=NOW)
    assert not SandboxRefund.objects.exists()


def test_the_provider_webhook_for_a_refund_made_here_is_not_counted_twice(member):
    entry = services.refund(the_charge(member), amount=50, now=NOW)
    body = sandbox.event_body(
        CHARGE_REFUNDED, the_charge(member).provider_ref, 50, object_ref=entry.provider_ref
    )
    assert deliver(body).status_code == 200
    assert LedgerEntry.objects.filter(kind="refund").count() == 1


# --- webhooks -----------------------------------------------------------------


def test_a_chargeback_bans_the_account_and_blocklists_its_card(member):
    charge = the_charge(member)
    response = deliver(sandbox.event_body(DISPUTE_CREATED, charge.provider_ref, 300))
    assert response.status_code == 200 and response.json() == {"received": True, "duplicate": False}
    member.membership.refresh_from_db()
    assert member.membership.state == states.BANNED
    dispute = LedgerEntry.objects.get(kind="dispute")
    assert (dispute.amount, dispute.charge_id) == (-300, charge.pk)
    assert CardFingerprint.objects.get().blocked_at is not None
    # The card cannot pay for a fresh account either.
    from obole.membership.errors import CardRejected

    with pytest.raises(CardRejected):
        services.pay(make_account("again"), card("4242424242424242"), now=NOW)


def test_a_replayed_webhook_is_acknowledged_but_applied_once(member):
    body = sandbox.event_body(DISPUTE_CREATED, the_charge(member).provider_ref, 300)
    deliver(body)
    again = deliver(body)
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert LedgerEntry.objects.filter(kind="dispute").count() == 1
    assert WebhookEvent.objects.count() == 1


def test_a_refund_made_at_the_provider_is_recorded(member):
    deliver(sandbox.event_body(CHARGE_REFUNDED, the_charge(member).provider_ref, 300))
    assert LedgerEntry.objects.revenue() == {"USD": 0}


@pytest.mark.parametrize(
    ("signature", "message"),
    [
        ("", "Missing or malformed"),
        ("t=abc,v1=00", "Missing or malformed"),
        ("t=1700000000,v1=" + "0" * 64, "does not match"),
    ],
)
def test_unsigned_or_badly_signed_webhooks_are_refused(member, signature, message):
    body = sandbox.event_body(DISPUTE_CREATED, the_charge(member).provider_ref, 300)
    response = deliver(body, signature)
    assert response.status_code == 400 and message in response.json()["error"]
    member.membership.refresh_from_db()
    assert member.membership.state == states.ACTIVE
    assert not WebhookEvent.objects.exists()


def test_an_old_webhook_is_refused_as_a_replay(member):
    body = sandbox.event_body(DISPUTE_CREATED, the_charge(member).provider_ref, 300)
    response = deliver(body, sandbox.sign(body, int(time.time()) - 3600))
    assert response.status_code == 400 and "too old" in response.json()["error"]


def test_a_signed_webhook_with_a_malformed_body_is_a_400(db):
    body = b'{"id": "evt_1", "type": "charge.refunded"}'
    response = deliver(body)
    assert response.status_code == 400 and "not a valid event" in response.json()["error"]


def test_webhooks_for_another_provider_are_404(db):
    response = Client().post("/api/obole/v1/webhooks/stripe", b"{}", content_type="application/json")
    assert response.status_code == 404 and "error" in response.json()
