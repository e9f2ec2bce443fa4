"""/api/obole/v1/membership: the README's contract ("Obole's membership API"), tokens, scopes, bad input."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.http import HttpRequest, JsonResponse
from django.urls import include, path

from obole.api.endpoints import endpoint
from obole.membership.models import Invoice, LedgerEntry, Membership, PaymentMethod
from tests.conftest import NOW, Api, token_for

pytestmark = pytest.mark.django_db

MEMBERSHIP = "/api/obole/v1/membership"
PAY = "/api/obole/v1/membership/payment_method"
CANCEL = "/api/obole/v1/membership/cancel"
GOOD_CARD = {"card_number": "4242 4242 4242 4242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}


def nothing_written():
    return not (PaymentMethod.objects.exists() or LedgerEntry.objects.exists() or Invoice.objects.exists())


def test_an_unpaid_membership(newcomer, api_as):
    response = api_as(newcomer).get(MEMBERSHIP)
    assert response.status_code == 200
    assert response.json() == {
        "state": "pending_payment",
        "paid_until": None,
        "plan": {"amount": 300, "currency": "USD", "interval": "month"},
        "payment_method": None,
        "payment_url": "http://testserver/membership",
    }


def test_paying_activates_and_returns_the_membership(newcomer, api_as):
    response = api_as(newcomer).post(PAY, GOOD_CARD)
    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "active"
    assert body["payment_method"] == {
        "brand": "visa", "last4": "4242", "funding": "credit", "exp_month": 12, "exp_year": 2030,
    }  # fmt: skip
    paid_until = datetime.fromisoformat(body["paid_until"].replace("Z", "+00:00"))
    assert paid_until > datetime.now(UTC)
    assert api_as(newcomer).get(MEMBERSHIP).json() == body


def test_paying_with_a_form_encoded_body(newcomer, api_as):
    response = api_as(newcomer).post(PAY, GOOD_CARD, json=False)
    assert response.status_code == 200 and response.json()["state"] == "active"


def test_cancel_then_resume(member, api_as, time_machine):
    # During the period the fixture paid for at NOW: resuming after it ended is refused (below).
    time_machine.move_to(NOW + timedelta(days=10))
    api = api_as(member)
    assert api.post(CANCEL).json()["state"] == "canceled"
    assert api.post("/api/obole/v1/membership/resume").json()["state"] == "active"


def test_a_canceled_membership_cannot_be_resumed_once_its_period_has_ended(member, api_as, time_machine):
    time_machine.move_to(NOW + timedelta(days=10))
    api = api_as(member)
    assert api.post(CANCEL).json()["state"] == "canceled"
    time_machine.move_to(member.membership.paid_until + timedelta(minutes=1))
    response = api.post("/api/obole/v1/membership/resume")
    assert response.status_code == 403
    assert response.json()["error"] == "This membership has already ended; add a card to start again."


def test_cancel_an_unpaid_membership_is_refused_with_a_reason(newcomer, api_as):
    response = api_as(newcomer).post(CANCEL)
    assert response.status_code == 403
    assert "pending payment" in response.json()["error"]


def test_the_ledger_lists_the_charges(member, api_as):
    [entry] = api_as(member).get("/api/obole/v1/membership/ledger").json()
    assert (entry["kind"], entry["amount"], entry["currency"]) == ("charge", 300, "USD")


@pytest.mark.parametrize(
    ("card", "status", "message"),
    [
        ({"card_number": "4000000000009995"}, 402, "Your card was declined: insufficient funds."),
        ({"card_number": "4000000000000002"}, 402, "Your card was declined."),
        ({"card_number": "4242424242424241"}, 422, "Your card number is invalid; please check it."),
        ({"exp_month": 0}, 422, "The expiry month must be between 1 and 12."),
        ({"exp_year": 2001}, 422, "Your card has expired."),
        ({"cvc": "1"}, 422, "The security code (CVC) must be 3 digits."),
    ],
)
def test_a_refused_card_says_why(newcomer, api_as, card, status, message):
    response = api_as(newcomer).post(PAY, {**GOOD_CARD, **card})
    assert (response.status_code, response.json()["error"]) == (status, message)
    assert response.status_code != 422 or isinstance(response.json()["details"], dict)
    assert Membership.objects.get(pk=newcomer.pk).state == "pending_payment"


def test_a_card_used_by_another_account_says_so(member, newcomer, api_as):
    response = api_as(newcomer).post(PAY, GOOD_CARD)
    assert response.status_code == 422
    assert "already pays for another Obole account" in response.json()["error"]


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ("{not json", 400, "The request body is not valid JSON."),
        ("[1, 2]", 400, "The request body must be a JSON object."),
        ({}, 422, "card_number: is required"),
        ({**GOOD_CARD, "exp_month": "December"}, 422, "exp_month: Input should be a valid integer"),
        ({**GOOD_CARD, "exp_year": None}, 422, "exp_year: Input should be a valid integer"),
        ({**GOOD_CARD, "card_number": 4242424242424242}, 422, "card_number: Input should be a valid string"),
        (
            {**GOOD_CARD, "card_number": "4" * 500},
            422,
            "card_number: String should have at most 40 characters",
        ),
        ({**GOOD_CARD, "cvc": ["123"]}, 422, "cvc: Input should be a valid string"),
    ],
)
def test_bad_input_gets_a_clear_4xx_and_writes_nothing(newcomer, api_as, body, status, message):
    response = api_as(newcomer).post(PAY, body)
    assert response.status_code == status
    assert response.json()["error"].startswith(message)
    assert nothing_written()


def test_a_huge_body_is_refused_with_413(newcomer, api_as, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    response = api_as(newcomer).post(PAY, json.dumps({**GOOD_CARD, "padding": "x" * 20_000}))
    assert response.status_code == 413
    assert response.json() == {"error": "The request body is too large."}
    assert nothing_written()


def test_an_unsupported_content_type_is_refused(newcomer, api_as):
    api = api_as(newcomer)
    response = api.client.post(PAY, "card", content_type="text/plain", headers=api.headers)
    assert response.status_code == 415 and "JSON" in response.json()["error"]


def test_the_wrong_method_is_refused_with_405(newcomer, api_as):
    response = api_as(newcomer).get(PAY)
    assert response.status_code == 405 and response["Allow"] == "POST"


def test_no_token_is_401(db):
    response = Api(None).get(MEMBERSHIP)
    assert (response.status_code, response.json()) == (401, {"error": "This endpoint needs an access token."})


def test_an_unknown_token_is_401(db):
    response = Api("made-up").get(MEMBERSHIP)
    assert response.status_code == 401 and "invalid" in response.json()["error"]


def test_an_expired_token_is_401(newcomer):
    token = token_for(newcomer, expires=datetime(2020, 1, 1, tzinfo=UTC))
    response = Api(token).get(MEMBERSHIP)
    assert response.status_code == 401 and "expired" in response.json()["error"]


@pytest.mark.parametrize(
    ("scope", "path", "allowed"),
    [
        ("read", MEMBERSHIP, True),
        ("read:accounts", MEMBERSHIP, True),
        ("read:statuses", MEMBERSHIP, False),
        ("write", MEMBERSHIP, False),
        ("write", PAY, True),
        ("write:accounts", PAY, True),
        ("read", PAY, False),
        ("write:statuses", PAY, False),
    ],
)
def test_scopes_are_enforced(newcomer, scope, path, allowed):
    api = Api(token_for(newcomer, scope))
    response = api.get(path) if path == MEMBERSHIP else api.post(path, GOOD_CARD)
    if allowed:
        assert response.status_code == 200
    else:
        assert response.status_code == 403
        assert response.json() == {"error": "This action is outside the authorized scopes."}
        assert nothing_written()


def test_each_member_sees_only_their_own_membership(member, outsider, api_as):
    assert api_as(outsider).get(MEMBERSHIP).json()["state"] == "pending_payment"
    assert api_as(member).get(MEMBERSHIP).json()["state"] == "active"


# --- the write check, on an endpoint that writes ----------------------------


@endpoint(("POST",), scope="write:statuses", write=True)
def _post_something(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


urlpatterns = [path("api/test/write", _post_something), path("", include("obole.urls"))]


@pytest.mark.urls("tests.test_api_membership")
def test_an_unpaid_write_is_refused_with_402_naming_the_membership_page(newcomer, api_as):
    response = api_as(newcomer).post("/api/test/write")
    assert response.status_code == 402
    error = response.json()["error"]
    assert error.startswith("Your account is read-only until your membership is paid.")
    assert "http://testserver/membership" in error


@pytest.mark.urls("tests.test_api_membership")
def test_a_paid_write_goes_through(member, api_as):
    assert api_as(member).post("/api/test/write").json() == {"ok": True}


@pytest.mark.urls("tests.test_api_membership")
def test_an_unpaid_account_keeps_every_scope_and_is_refused_only_by_the_write_check(newcomer):
    response = Api(token_for(newcomer, "read write follow push")).post("/api/test/write")
    assert response.status_code == 402


@pytest.mark.urls("tests.test_api_membership")
def test_a_write_without_a_token_is_401_not_402(db):
    response = Api(None).post("/api/test/write")
    assert (response.status_code, response.json()) == (401, {"error": "This endpoint needs an access token."})
