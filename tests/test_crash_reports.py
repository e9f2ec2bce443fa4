"""A crash while a card is in hand leaves no card number or CVC in the error email.

Django mails the staff (ADMINS) a report of every unhandled exception; with the
HTML part switched on (AdminEmailHandler's include_html, and what error trackers
collect) it holds the local variables of each frame and the POST data. The
functions and views that hold card details are marked sensitive, so Django's
SafeExceptionReporterFilter puts stars where the number and CVC would be.
"""

from __future__ import annotations

import json
import logging
import re
import sys

import pytest
from django.core import mail
from django.test import Client
from django.utils.log import AdminEmailHandler
from django.views.debug import ExceptionReporter

from obole.membership import cards, services
from obole.membership.models import SandboxPaymentMethod
from tests.conftest import NOW, PASSWORD, card, make_account, token_for

pytestmark = pytest.mark.django_db

NUMBER = "4000056655665556"  # Stripe's Visa debit test card: distinctive digits
TYPED = "4000 0566 5566 5556"
CVC = "862"


@pytest.fixture
def crash_on_attach(monkeypatch):
    """A bug in the provider after the card was read: the sandbox's own table fails."""

    def broken(*args, **kwargs):
        raise RuntimeError("the sandbox table is gone")

    monkeypatch.setattr(SandboxPaymentMethod.objects, "create", broken)


@pytest.fixture
def admins(settings, monkeypatch):
    """Staff to mail, and the error email with its HTML part: every frame's variables."""
    settings.ADMINS = [("Operator", "ops@example.org")]
    settings.DEBUG = False
    handlers = [h for h in logging.getLogger("django").handlers if isinstance(h, AdminEmailHandler)]
    assert handlers
    for handler in handlers:
        monkeypatch.setattr(handler, "include_html", True)


def starred(report: str, variable: str) -> bool:
    """Whether the HTML report lists `variable` among a frame's locals with stars for a value."""
    return bool(re.search(rf"<td>{variable}</td>\s*<td class=\"code\"><pre>&#x27;\*{{20}}&#x27;", report))


def assert_no_card_data(report: str) -> None:
    for secret in (NUMBER, TYPED, NUMBER[:12], NUMBER[-8:]):
        assert secret not in report
    assert not re.search(rf"(?<!\d){CVC}(?!\d)", report)
    # The report is there, with the provider's frame that held the card, starred.
    assert starred(report, "digits"), report
    assert starred(report, "source")


def mailed_report() -> str:
    assert len(mail.outbox) == 1, [m.subject for m in mail.outbox]
    message = mail.outbox[0]
    return message.body + "".join(str(content) for content, _ in message.alternatives)


def test_the_error_email_of_a_crash_in_the_card_api_shows_no_card_data(admins, crash_on_attach):
    account = make_account("carla")
    client = Client(raise_request_exception=False)
    response = client.post(
        "/api/obole/v1/membership/payment_method",
        json.dumps({"card_number": TYPED, "exp_month": 12, "exp_year": 2030, "cvc": CVC}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token_for(account)}"},
    )
    assert response.status_code == 500
    assert_no_card_data(mailed_report())


def test_the_error_email_of_a_crash_in_the_card_form_shows_no_card_data(admins, crash_on_attach):
    account = make_account("carla")
    client = Client(raise_request_exception=False)
    assert client.login(username=account.username, password=PASSWORD)
    response = client.post(
        "/membership", {"card_number": TYPED, "exp_month": "12", "exp_year": "2030", "cvc": CVC}
    )
    assert response.status_code == 500
    report = mailed_report()
    assert_no_card_data(report)
    assert "card_number" in report  # the POST field is listed, its value starred


def _report_of(call) -> str:
    """The plain-text and HTML crash reports Django makes for the exception `call` raises."""
    try:
        call()
    except Exception:
        reporter = ExceptionReporter(None, *sys.exc_info())
        return reporter.get_traceback_text() + reporter.get_traceback_html()
    raise AssertionError("the call did not fail")


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda: cards.check_card(TYPED, 12, 2030, CVC, None), id="check_card"),
        pytest.param(lambda: cards.luhn_valid(NUMBER + "x"), id="luhn_valid"),
    ],
)
def test_a_crash_inside_the_card_functions_reports_no_card_data(settings, call):
    settings.DEBUG = False
    report = _report_of(call)
    assert NUMBER not in report and TYPED not in report and f"'{CVC}'" not in report
    assert starred(report, "digits")


def test_a_crash_while_fingerprinting_reports_no_card_number(settings):
    settings.DEBUG = False
    settings.OBOLE_FINGERPRINT_KEY = None  # a misconfiguration: .encode() of None fails
    report = _report_of(lambda: cards.fingerprint(NUMBER))
    assert NUMBER not in report
    assert starred(report, "digits")


def test_a_crash_inside_pay_reports_no_card_data(settings, crash_on_attach):
    settings.DEBUG = False
    account = make_account("carla")
    report = _report_of(lambda: services.pay(account, card(TYPED, cvc=CVC), now=NOW))
    assert_no_card_data(report)
    assert "pay" in report


def test_a_card_printed_by_mistake_shows_no_number_or_cvc():
    shown = repr(card(TYPED, cvc=CVC)) + str(card(TYPED, cvc=CVC))
    assert TYPED not in shown and CVC not in shown
    assert "exp_month=12" in shown
