"""The Stripe provider under test: localstripe in a subprocess, driven through the real SDK.

`provider` parametrises a test over both providers: it switches the settings
and gives a `Cards` helper that turns a test-card number into what a client
would send — the card itself for the sandbox; for Stripe, the PaymentMethod id
that Stripe.js would post after confirming a SetupIntent in the browser.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import stripe

from obole.membership.providers import _provider
from obole.membership.providers.sandbox import SandboxCard
from obole.membership.providers.stripe import StripePaymentMethodIn
from tests.live import free_port

SECRET_KEY = "sk_test_obole"
PUBLISHABLE_KEY = "pk_test_obole"
WEBHOOK_SECRET = "whsec_obole_tests"


def _post_json(url: str, data: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        url, json.dumps(data).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


@pytest.fixture(scope="session")
def localstripe() -> Iterator[str]:
    """The base URL of a localstripe started for this test session."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("stripe_server.py")), str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(base + "/js.stripe.com/v3/", timeout=2)
            break
        except (urllib.error.URLError, ConnectionError):
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail("localstripe did not start:\n" + process.stderr.read().decode())
            time.sleep(0.2)
    yield base
    process.terminate()
    process.wait(timeout=10)


def stripe_environment(base: str) -> dict[str, str]:
    return {
        "OBOLE_PAYMENT_PROVIDER": "stripe",
        "OBOLE_STRIPE_SECRET_KEY": SECRET_KEY,
        "OBOLE_STRIPE_PUBLISHABLE_KEY": PUBLISHABLE_KEY,
        "OBOLE_STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "OBOLE_STRIPE_API_BASE": base,
        "OBOLE_STRIPE_JS_URL": f"{base}/js.stripe.com/v3/",
    }


class Cards:
    """Test cards as a client sends them to `services.pay` with the provider under test."""

    def __init__(self, name: str, base: str = ""):
        self.name = name
        self.base = base

    def source(self, account, number: str = "4242424242424242", *, exp_year: int = 2030):
        if self.name == "sandbox":
            return SandboxCard(card_number=number, exp_month=12, exp_year=exp_year, cvc="123")
        return StripePaymentMethodIn(payment_method=self.payment_method(account, number, exp_year=exp_year))

    def payment_method(self, account, number: str, *, exp_year: int = 2030) -> str:
        """What Stripe.js does on the membership page: confirm a SetupIntent, 3-D Secure too."""
        from obole.membership.providers import get_provider

        secret = get_provider().setup_intent(account)
        intent_id = secret.split("_secret_")[0]
        url = f"{self.base}/v1/setup_intents/{intent_id}/confirm"
        card = {"number": number, "exp_month": "12", "exp_year": str(exp_year), "cvc": "123"}
        status, body = _post_json(
            url,
            {
                "key": PUBLISHABLE_KEY,
                "client_secret": secret,
                "payment_method_data": {"type": "card", "card": card},
            },
        )
        if status == 402:
            raise Declined(body["error"]["message"])
        if body.get("status") == "requires_action":  # the member passes the bank's check
            status, body = _post_json(url, {"key": PUBLISHABLE_KEY, "client_secret": secret})
        assert body["status"] == "succeeded", body
        return body["payment_method"]

    def record(self, path: str, body: dict) -> None:
        """Have the fake Stripe answer GET `path` with a recorded object (what localstripe lacks)."""
        status, _ = _post_json(f"{self.base}/_config/recorded", {"path": path, "body": body})
        assert status == 200

    def signed_event(self, event_type: str, obj: dict, *, event_id: str = "", age: int = 0) -> tuple:
        """A Stripe event body and its Stripe-Signature header, as Stripe would send it."""
        stamp = int(time.time()) - age
        event = {
            "id": event_id or f"evt_{obj['id']}_{stamp}",
            "object": "event",
            "type": event_type,
            "created": stamp,
            "livemode": False,
            "api_version": "2025-01-27.acacia",
            "data": {"object": obj},
        }
        payload = json.dumps(event)
        header = stripe.WebhookSignature.generate_signature_header(payload, WEBHOOK_SECRET, timestamp=stamp)
        return payload.encode(), header


class Declined(Exception):
    """Stripe.js reported the card declined when it was set up (before Obole saw anything)."""


@pytest.fixture
def stripe_provider(settings, localstripe) -> Iterator[Cards]:
    for name, value in stripe_environment(localstripe).items():
        setattr(settings, name, value)
    _provider.cache_clear()
    yield Cards("stripe", localstripe)
    _provider.cache_clear()


@pytest.fixture(params=["sandbox", "stripe"])
def provider(request, settings) -> Iterator[Cards]:
    """Each test using this runs once with the sandbox and once with Stripe (localstripe)."""
    if request.param == "sandbox":
        _provider.cache_clear()
        yield Cards("sandbox")
        _provider.cache_clear()
    else:
        yield request.getfixturevalue("stripe_provider")
