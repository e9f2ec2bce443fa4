"""can_write: the one write check, for every membership state; and staff-only pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from obole.membership import states
from obole.membership.permissions import can_write, write_refusal
from tests.conftest import NOW, PASSWORD, make_account

pytestmark = pytest.mark.django_db

PAID_UNTIL = NOW + timedelta(days=30)


def account_in(state: str):
    account = make_account("writer")
    membership = account.membership
    membership.state = state
    membership.paid_until = PAID_UNTIL
    membership.save()
    return account


@pytest.mark.parametrize(
    ("state", "moment", "allowed"),
    [
        (states.PENDING_PAYMENT, NOW, False),
        (states.ACTIVE, NOW, True),
        (states.ACTIVE, PAID_UNTIL + timedelta(days=3), True),  # billing late is not the member's fault
        (states.PAST_DUE, PAID_UNTIL + timedelta(days=6), True),  # inside the 7-day grace period
        (states.PAST_DUE, PAID_UNTIL + timedelta(days=7), False),
        (states.CANCELED, PAID_UNTIL - timedelta(seconds=1), True),
        (states.CANCELED, PAID_UNTIL, False),
        (states.LAPSED, NOW, False),
        (states.EXPIRED, NOW, False),
        (states.BANNED, NOW, False),
    ],
)
def test_who_may_write(state, moment, allowed):
    account = account_in(state)
    assert can_write(account, now=moment) is allowed
    refusal = write_refusal(account, now=moment)
    assert (refusal is None) is allowed
    if refusal:
        assert refusal.endswith(".")


def test_a_disabled_account_may_not_write(member):
    member.is_active = False
    assert write_refusal(member, now=NOW) == "This account is disabled."


def test_with_email_confirmation_on_an_unconfirmed_member_may_not_write(member, settings):
    settings.OBOLE_EMAIL_CONFIRMATION = True
    assert "Confirm your email" in write_refusal(member, now=NOW)
    member.email_confirmed_at = NOW
    assert can_write(member, now=NOW)


@pytest.mark.parametrize(
    "path", ["/admin/", "/admin/membership/ledgerentry/", "/admin/membership/membership/"]
)
def test_admin_pages_are_for_staff_only(member, path):
    anonymous = Client().get(path)
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]
    client = Client()
    assert client.login(username="mary", password=PASSWORD)
    assert client.get(path).status_code == 302  # a member who is not staff is sent to log in as staff
    member.is_staff = member.is_superuser = True
    member.save()
    assert client.get(path).status_code == 200


def test_staff_cannot_change_the_ledger_in_the_admin(member):
    from obole.membership.models import LedgerEntry

    member.is_staff = member.is_superuser = True
    member.save()
    client = Client()
    client.login(username="mary", password=PASSWORD)
    entry = LedgerEntry.objects.get()
    response = client.post(f"/admin/membership/ledgerentry/{entry.pk}/change/", {"amount": 1})
    assert response.status_code == 403
    assert (
        client.post(f"/admin/membership/ledgerentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    )
    assert LedgerEntry.objects.get().amount == 300
