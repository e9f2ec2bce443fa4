"""Renewal, dunning and expiry: each period charged exactly once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from obole.membership import billing, services, states
from obole.membership.models import Invoice, LedgerEntry, SandboxCharge
from obole.membership.models import invoice as inv
from obole.membership.permissions import can_write
from tests.conftest import NOW, card, make_account

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


def charges_of(account) -> list[LedgerEntry]:
    return list(LedgerEntry.objects.filter(account=account, kind="charge"))


def renewal_due(member):
    return member.membership.paid_until + timedelta(minutes=1)


def test_paying_charges_one_period_and_activates(member):
    membership = member.membership
    assert membership.state == states.ACTIVE
    assert membership.anchor == NOW
    assert membership.paid_until == NOW.replace(month=12)
    [charge] = charges_of(member)
    assert (charge.amount, charge.currency) == (300, "USD")


def test_a_run_before_the_period_ends_charges_nothing(member):
    report = billing.run(member.membership.paid_until - timedelta(seconds=1))
    assert report.paid == 0
    assert len(charges_of(member)) == 1


def test_a_run_renews_for_the_next_period(member):
    report = billing.run(renewal_due(member))
    member.membership.refresh_from_db()
    assert report.paid == 1
    assert member.membership.state == states.ACTIVE
    assert member.membership.paid_until == NOW.replace(year=2027, month=1)
    assert len(charges_of(member)) == 2


def test_running_twice_charges_once(member):
    at = renewal_due(member)
    billing.run(at)
    second = billing.run(at)
    assert second.paid == 0 and second.invoiced == 0
    assert len(charges_of(member)) == 2
    assert SandboxCharge.objects.count() == 2


def test_a_membership_months_behind_is_charged_only_for_the_period_running_now(member):
    """Billing did not run for three months: the missed periods are not collected at once."""
    report = billing.run(NOW + timedelta(days=95))
    member.membership.refresh_from_db()
    periods = sorted(
        Invoice.objects.filter(membership=member.membership).values_list("period_start", flat=True)
    )
    assert [(p.year, p.month) for p in periods] == [(2026, 11), (2027, 2)]
    assert member.membership.paid_until == NOW.replace(year=2027, month=3)  # the anchor is kept
    assert len(charges_of(member)) == 2
    assert (report.invoiced, report.paid) == (1, 1)


def test_a_membership_one_period_behind_renews_from_where_it_was_paid(member):
    billing.run(NOW + timedelta(days=45))  # paid until 1 December; 15 days late
    member.membership.refresh_from_db()
    assert member.membership.paid_until == NOW.replace(year=2027, month=1)
    assert len(charges_of(member)) == 2


def test_a_deactivated_account_is_never_renewed_or_charged(member):
    end = member.membership.paid_until
    type(member).objects.filter(pk=member.pk).update(is_active=False)
    report = billing.run(end - DAY)
    member.membership.refresh_from_db()
    assert (report.deactivated, member.membership.state) == (1, states.CANCELED)
    assert member.membership.events.last().reason == "account deactivated"
    report = billing.run(end + DAY)
    member.membership.refresh_from_db()
    assert (report.expired, report.invoiced, report.paid) == (1, 0, 0)
    assert member.membership.state == states.EXPIRED
    assert billing.run(end + 40 * DAY).paid == 0
    assert len(charges_of(member)) == 1 and SandboxCharge.objects.count() == 1


def test_a_past_due_account_deactivated_between_retries_is_not_charged_again(member):
    end = member.membership.paid_until
    _swap_card(member, "4000000000000341")
    billing.run(end)
    type(member).objects.filter(pk=member.pk).update(is_active=False)
    attempts = SandboxCharge.objects.count()
    billing.run(end + 2 * DAY)
    assert SandboxCharge.objects.count() == attempts
    assert Invoice.objects.get(kind=inv.RENEWAL).status == inv.VOID


def test_a_run_takes_over_the_claims_of_a_dead_run_on_this_machine_at_once(member):
    """Killed with money taken: the next run must not wait out --reclaim-after to record it."""
    import subprocess
    import sys

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    dead_run = billing.new_run_id().replace(f":{__import__('os').getpid()}:", f":{gone.pid}:")
    at = renewal_due(member)
    billing.invoices.open_renewals(at)
    _, [claimed] = billing.invoices.claim_batch(dead_run, now=at, reclaim_after=timedelta(minutes=10), size=9)
    billing.invoices.send_charge(claimed)  # ...and then the process died.

    report = billing.run(at)  # the default reclaim_after: ten minutes
    assert report.paid == 1
    assert SandboxCharge.objects.count() == 2 and len(charges_of(member)) == 2


def test_a_live_runs_claims_are_left_alone(member):
    at = renewal_due(member)
    billing.invoices.open_renewals(at)
    billing.invoices.claim_batch(billing.new_run_id(), now=at, reclaim_after=timedelta(minutes=10), size=9)
    assert billing.run(at).paid == 0
    assert Invoice.objects.get(kind=inv.RENEWAL).status == inv.CHARGING


def test_a_run_reports_only_the_outcomes_it_recorded(member):
    at = renewal_due(member)
    billing.invoices.open_renewals(at)
    _, [claimed] = billing.invoices.claim_batch("other", now=at, reclaim_after=timedelta(minutes=10), size=9)
    result = billing.invoices.send_charge(claimed)
    assert len(billing.invoices.record_outcomes([(claimed.pk, claimed.attempts, result)], now=at)) == 1
    # The same answer arriving from a second run that took the claim over is not counted again.
    assert billing.invoices.record_outcomes([(claimed.pk, claimed.attempts, result)], now=at) == []


def test_a_crash_between_charge_and_record_is_repaired_by_the_rerun(member):
    """The provider charged but the run died before recording: the rerun must not charge again."""
    at = renewal_due(member)
    billing.invoices.open_renewals(at)
    _, [claimed] = billing.invoices.claim_batch(
        "dead-run", now=at, reclaim_after=timedelta(minutes=10), size=10
    )
    billing.invoices.send_charge(claimed)  # ...and then the process died.
    assert SandboxCharge.objects.count() == 2
    assert len(charges_of(member)) == 1

    # A rerun soon after leaves the fresh claim alone,
    assert billing.run(at).paid == 0
    # and once the claim is stale it resends the same key and records the one charge.
    report = billing.run(at, reclaim_after=timedelta(0))
    assert report.paid == 1
    assert SandboxCharge.objects.count() == 2
    assert len(charges_of(member)) == 2


def test_a_failed_renewal_retries_on_schedule_then_lapses(member, settings):
    settings.OBOLE_DUNNING_RETRY_DAYS = [1, 3, 5]
    settings.OBOLE_GRACE_DAYS = 4
    end = member.membership.paid_until
    # The card on file stops working (the sandbox card that fails when charged).
    services.cancel(member, now=NOW)
    services.resume(member, now=NOW)
    _swap_card(member, "4000000000000341")

    billing.run(end)
    member.membership.refresh_from_db()
    invoice = Invoice.objects.get(kind=inv.RENEWAL)
    assert member.membership.state == states.PAST_DUE
    assert (invoice.attempts, invoice.next_attempt_at) == (1, end + DAY)
    assert can_write(member, now=end + DAY)  # inside the grace period

    assert billing.run(end + DAY - timedelta(seconds=1)).failed == 0  # not due yet
    billing.run(end + DAY)
    billing.run(end + 3 * DAY)
    invoice.refresh_from_db()
    member.membership.refresh_from_db()
    assert (invoice.attempts, invoice.status, member.membership.state) == (3, inv.OPEN, states.PAST_DUE)
    assert not can_write(member, now=end + 4 * DAY)  # grace is over, retries are not

    billing.run(end + 5 * DAY)
    invoice.refresh_from_db()
    member.membership.refresh_from_db()
    assert (invoice.attempts, invoice.status, member.membership.state) == (4, inv.FAILED, states.LAPSED)
    assert not can_write(member, now=end + 5 * DAY)
    assert billing.run(end + 30 * DAY).failed == 0  # a lapsed membership is left alone
    assert len(charges_of(member)) == 1

    # Paying again restores it, for a fresh period from today.
    back = end + 6 * DAY
    services.pay(member, card("4242424242424242"), now=back)
    member.membership.refresh_from_db()
    assert member.membership.state == states.ACTIVE
    assert (member.membership.anchor, member.membership.paid_until) == (
        back,
        back.replace(month=1, year=2027),
    )
    assert can_write(member, now=back)


def test_a_past_due_member_who_updates_the_card_is_charged_for_the_open_period_at_once(member):
    end = member.membership.paid_until
    _swap_card(member, "4000000000000341")
    billing.run(end)
    member.membership.refresh_from_db()
    assert member.membership.state == states.PAST_DUE

    services.pay(member, card("4242424242424242"), now=end + DAY)
    member.membership.refresh_from_db()
    assert member.membership.state == states.ACTIVE
    assert member.membership.paid_until == NOW.replace(year=2027, month=1)  # the period keeps its anchor
    assert Invoice.objects.get(kind=inv.RENEWAL).status == inv.PAID
    assert billing.run(end + 2 * DAY).paid == 0


def test_cancel_keeps_writing_until_the_period_ends_then_expires(member):
    end = member.membership.paid_until
    services.cancel(member, now=NOW + DAY)
    member.membership.refresh_from_db()
    assert member.membership.state == states.CANCELED
    assert can_write(member, now=end - DAY)
    report = billing.run(end)
    member.membership.refresh_from_db()
    assert (report.expired, report.paid) == (1, 0)
    assert member.membership.state == states.EXPIRED
    assert not can_write(member, now=end)
    assert len(charges_of(member)) == 1


def test_resume_before_the_end_renews_as_before(member):
    end = member.membership.paid_until
    services.cancel(member, now=NOW + DAY)
    services.resume(member, now=NOW + 2 * DAY)
    billing.run(end)
    member.membership.refresh_from_db()
    assert member.membership.state == states.ACTIVE
    assert len(charges_of(member)) == 2


def test_resume_after_the_end_is_refused(member):
    from obole.membership.errors import NotAllowed

    end = member.membership.paid_until
    services.cancel(member, now=NOW + DAY)
    with pytest.raises(NotAllowed, match="already ended"):
        services.resume(member, now=end + DAY)


def test_a_price_change_applies_from_the_next_renewal(member, settings):
    settings.OBOLE_FEE_AMOUNT = 500
    billing.run(renewal_due(member))
    assert [c.amount for c in charges_of(member)] == [300, 500]


def test_a_per_country_price_is_charged_in_its_currency(db, settings):
    settings.OBOLE_FEE_BY_COUNTRY = "JP=450 JPY"
    account = make_account("kenji")
    account.country = "JP"
    account.save()
    services.pay(account, card("4000003920000003"), now=NOW)  # the sandbox's Japanese test card
    [charge] = charges_of(account)
    assert (charge.amount, charge.currency) == (450, "JPY")


def test_the_declared_country_does_not_set_the_price_of_a_card_from_elsewhere(db, settings):
    settings.OBOLE_FEE_BY_COUNTRY = "JP=450 JPY"
    account = make_account("kenji")
    account.country = "JP"  # declared, but the card is from the US
    account.save()
    services.pay(account, card("4242424242424242"), now=NOW)
    [charge] = charges_of(account)
    assert (charge.amount, charge.currency) == (300, "USD")


def test_many_members_renew_in_one_run_with_progress(db):
    accounts = [make_account(f"m{i}", paid=True) for i in range(12)]
    seen = []

    class Recorder(billing.Progress):
        def start(self, total):
            seen.append(("start", total))

        def advance(self, count=1):
            seen.extend(["advance"] * count)

    report = billing.run(NOW + timedelta(days=31), progress=Recorder(), batch=5)
    assert report.paid == 12
    assert seen[0] == ("start", 12) and seen.count("advance") == 12
    assert all(len(charges_of(a)) == 2 for a in accounts)


def _swap_card(account, number: str) -> None:
    """Replace the card on file while active (no charge happens)."""
    services.pay(account, card(number), now=NOW + DAY)
