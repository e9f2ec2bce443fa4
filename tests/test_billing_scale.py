"""Billing under a provider that asks to be asked later: 429s and 409s are retried, never declines.

The small version of bench/billing_scale.py runs here too: the real `obole
billing run` over 2,000 memberships, with provider latency and a rate limit
that it must back off from, then exactly once checked from the books.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from obole.membership import billing
from obole.membership.errors import ProviderBusy
from obole.membership.models import Invoice, LedgerEntry
from obole.membership.models import invoice as inv
from obole.membership.providers import _provider, get_provider
from tests.conftest import bench_env, make_account

ROOT = Path(__file__).resolve().parent.parent


def renewal_time(account):
    return account.membership.paid_until + timedelta(minutes=1)


# --- backoff --------------------------------------------------------------------


def test_backoff_grows_honours_retry_after_and_is_bounded():
    for retry in range(billing.BUSY_RETRIES + 1):
        base = min(billing.BUSY_MAX_DELAY, billing.BUSY_FIRST_DELAY * 2**retry)
        delays = [billing.backoff(retry) for _ in range(50)]
        assert all(base <= d <= base * 1.25 for d in delays)
        assert len(set(delays)) > 1, "no jitter"
    assert billing.backoff(0, retry_after=3) >= 3
    assert billing.backoff(20) <= billing.BUSY_MAX_DELAY * 1.25


# --- the sandbox's rate limit -----------------------------------------------------


@pytest.fixture
def rate_limited_sandbox(settings) -> Iterator[None]:
    _provider.cache_clear()
    settings.OBOLE_SANDBOX_RATE_LIMIT = 2
    yield
    _provider.cache_clear()


@pytest.mark.django_db
def test_the_sandbox_answers_429_with_retry_after_past_its_rate(rate_limited_sandbox):
    provider = get_provider()
    provider.charge("pm_none", 300, "USD", idempotency_key="k1")
    provider.charge("pm_none", 300, "USD", idempotency_key="k2")
    with pytest.raises(ProviderBusy) as refused:
        provider.charge("pm_none", 300, "USD", idempotency_key="k3")
    assert (refused.value.reason, refused.value.retry_after) == ("rate_limited", 1)


@pytest.mark.django_db
def test_a_rate_limited_run_backs_off_and_charges_every_renewal_once(settings):
    members = [make_account(f"payer{i}", paid=True) for i in range(3)]
    _provider.cache_clear()
    settings.OBOLE_SANDBOX_RATE_LIMIT = 2
    try:
        report = billing.run(renewal_time(members[0]))
    finally:
        _provider.cache_clear()
    assert report.rate_limited >= 1
    assert (report.paid, report.failed, report.unanswered) == (3, 0, 0)
    for member in members:
        assert LedgerEntry.objects.filter(account=member, invoice__kind=inv.RENEWAL).count() == 1


# --- Stripe's 409 and 429, through the real SDK ------------------------------------


class FakeStripe(ThreadingHTTPServer):
    """Answers POST /v1/payment_intents from a script of (status, headers) then succeeds."""

    def __init__(self, script: list[tuple[int, dict[str, str]]]):
        super().__init__(("127.0.0.1", 0), StripeHandler)
        self.script = list(script)
        self.keys: list[str] = []


class StripeHandler(BaseHTTPRequestHandler):
    server: FakeStripe

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.keys.append(self.headers.get("Idempotency-Key", ""))
        if self.server.script:
            status, headers = self.server.script.pop(0)
            code = "idempotency_key_in_use" if status == 409 else "rate_limit"
            body = {
                "error": {"type": "invalid_request_error", "code": code, "message": f"{status} from the test"}
            }
        else:
            status, headers = 200, {}
            body = {
                "id": "pi_test_1",
                "object": "payment_intent",
                "status": "succeeded",
                "latest_charge": "ch_1",
            }
        payload = json.dumps(body).encode()
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", **headers}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def fake_stripe(settings) -> Iterator:
    servers = []

    def start(script: list[tuple[int, dict[str, str]]]) -> FakeStripe:
        server = FakeStripe(script)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        settings.OBOLE_PAYMENT_PROVIDER = "stripe"
        settings.OBOLE_STRIPE_SECRET_KEY = "sk_test_obole"
        settings.OBOLE_STRIPE_API_BASE = f"http://127.0.0.1:{server.server_address[1]}"
        _provider.cache_clear()
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
    _provider.cache_clear()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("script", "counted"),
    [
        # The key is in use by a request in flight (a claim taken over while its run is
        # alive): the SDK retries a 409 twice itself, then billing backs off and sends it again.
        ([(409, {})] * 3, "in_use"),
        # Rate limited: billing waits the Retry-After, then sends the same key again.
        ([(429, {"Retry-After": "1"})], "rate_limited"),
    ],
    ids=["409-key-in-use", "429-rate-limited"],
)
def test_stripe_busy_answers_are_retried_later_with_the_same_key(member, fake_stripe, script, counted):
    server = fake_stripe(script)
    report = billing.run(renewal_time(member))
    assert getattr(report, counted) == 1
    assert (report.paid, report.failed, report.unanswered) == (1, 0, 0)
    assert len(server.keys) == len(script) + 1 and len(set(server.keys)) == 1
    renewal = Invoice.objects.get(membership=member.membership, kind=inv.RENEWAL)
    assert renewal.status == inv.PAID and renewal.attempts == 1
    assert server.keys[0] == renewal.idempotency_key()
    assert LedgerEntry.objects.filter(invoice=renewal).count() == 1


@pytest.mark.django_db
def test_stripe_still_busy_after_the_retries_leaves_the_claim_for_a_later_run(
    member, fake_stripe, monkeypatch
):
    monkeypatch.setattr(billing, "BUSY_RETRIES", 1)
    monkeypatch.setattr(billing, "BUSY_FIRST_DELAY", 0.01)
    fake_stripe([(429, {})] * 2)
    report = billing.run(renewal_time(member))
    assert (report.paid, report.failed, report.unanswered, report.rate_limited) == (0, 0, 1, 2)
    renewal = Invoice.objects.get(membership=member.membership, kind=inv.RENEWAL)
    # Not a decline: nothing recorded, the membership untouched, the claim kept.
    assert renewal.status == inv.CHARGING and renewal.last_error == ""
    member.membership.refresh_from_db()
    assert member.membership.state == "active"


# --- the small version of the benchmark ---------------------------------------------


@pytest.mark.slow
def test_billing_1000_memberships_with_latency_and_429s_charges_each_exactly_once():
    database, env = bench_env()
    done = subprocess.run(
        [sys.executable, "bench/billing_scale.py", "--members", "1000", "--database", database]
        + ["--latency-ms", "20", "--rate-limit", "200", "--concurrency", "8", "--json", "--no-record"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    row = json.loads(done.stdout.strip().splitlines()[-1])
    assert row["checks"] and all(row["checks"].values()), row["checks"]
    assert row["paid"] == 1000 and row["unanswered"] == 0
    # 8 charges in flight at 20 ms ask for ~400/s: the provider refused some, and
    # every refused one was sent again until it was answered.
    assert row["rate_limited"] > 0
