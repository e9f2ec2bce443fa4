"""The web pages: landing, sign-up, sign-in and out, email confirmation, membership."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client

from obole.accounts.models import Account
from obole.membership.models import Membership
from tests.conftest import NOW, PASSWORD

pytestmark = pytest.mark.django_db

GOOD_CARD = "4242 4242 4242 4242"
DECLINED_CARD = "4000000000000002"


@pytest.fixture(autouse=True)
def _at_now(time_machine):
    # The views read the clock; start it at NOW so dates on the pages are known.
    time_machine.move_to(NOW)


@pytest.fixture
def client():
    return Client()


def signed_in(account) -> Client:
    client = Client()
    client.force_login(account)
    return client


def page(response) -> str:
    return response.content.decode()


def input_value(html: str, name: str) -> str | None:
    """The value attribute of the form input called `name`, or None if it has none."""
    tag = re.search(rf'<input[^>]*\bname="{name}"[^>]*>', html)
    assert tag, f"no input named {name}"
    value = re.search(r'\bvalue="([^"]*)"', tag.group(0))
    return value.group(1) if value else None


def pay_form(number: str = GOOD_CARD, cvc: str = "123", exp_month: int = 12, exp_year: int = 2030) -> dict:
    return {"card_number": number, "exp_month": exp_month, "exp_year": exp_year, "cvc": cvc}


def state_of(account) -> str:
    return Membership.objects.get(pk=account.pk).state


# --- landing and errors --------------------------------------------------------


def test_the_landing_page_shows_the_price(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "3.00 USD" in page(response)
    assert 'href="/auth/sign_up"' in page(response)


def test_the_landing_page_counts_paying_members(client, member, newcomer):
    assert "<strong>1</strong> paying member" in page(client.get("/"))


def test_the_landing_page_sends_a_signed_in_member_to_their_home_timeline(member):
    response = signed_in(member).get("/")
    assert response.status_code == 302
    assert response["Location"] == "/home"


def test_an_unknown_api_url_answers_with_json_404(client):
    response = client.get("/api/obole/v1/no_such_thing")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"error": "Record not found"}


def test_an_unknown_page_answers_with_an_html_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert "<h1>404</h1>" in page(response)
    assert "Record not found" in page(response)


# --- sign-up -------------------------------------------------------------------


def test_sign_up_creates_the_account_signs_in_and_shows_the_read_only_membership(client):
    response = client.post(
        "/auth/sign_up", {"username": "paula", "email": "paula@example.org", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == "/membership"
    account = Account.objects.get(username="paula")
    assert account.email == "paula@example.org"
    assert state_of(account) == "pending_payment"

    membership_page = client.get("/membership")
    assert membership_page.status_code == 200
    html = page(membership_page)
    assert "Sign out @paula" in html
    assert "Pending payment" in html
    assert "read-only" in html
    assert "Your account is read-only until your membership is paid." in html
    # The sandbox hint tells a newcomer which test card to use.
    assert "sandbox mode" in html
    assert "<code>4242 4242 4242 4242</code> succeeds" in html
    # Without email confirmation, no email is sent.
    assert mail.outbox == []


def test_the_email_is_optional_when_confirmation_is_off(client):
    response = client.post("/auth/sign_up", {"username": "paula", "password": PASSWORD})
    assert response.status_code == 302
    assert Account.objects.get(username="paula").email == ""


@pytest.mark.parametrize(
    ("username", "password", "message"),
    [
        ("Mary", PASSWORD, "That username is taken."),
        ("mary jane", PASSWORD, "A username may contain only letters, digits and underscores."),
        ("admin", PASSWORD, "That username is reserved; please choose another."),
        ("paula", "password", "This password is too common."),
        ("paula", "short", "This password is too short."),
    ],
)
def test_a_refused_sign_up_shows_why_and_creates_nothing(client, member, username, password, message):
    accounts_before = Account.objects.count()
    response = client.post(
        "/auth/sign_up", {"username": username, "email": "p@example.org", "password": password}
    )
    assert response.status_code == 200
    html = page(response)
    assert message in html
    assert Account.objects.count() == accounts_before
    assert Membership.objects.count() == accounts_before
    # Still signed out, the username is offered back but the password is not.
    assert "Sign out" not in html
    assert input_value(html, "username") == username
    assert input_value(html, "password") is None


def test_sign_up_is_closed_when_registration_is_off(client, settings):
    settings.OBOLE_REGISTRATION_OPEN = False
    assert client.get("/auth/sign_up").status_code == 403
    response = client.post("/auth/sign_up", {"username": "paula", "password": PASSWORD})
    assert response.status_code == 403
    assert "Registration is closed" in page(response)
    assert not Account.objects.exists()
    # The landing page no longer invites people to join.
    assert 'href="/auth/sign_up"' not in page(client.get("/"))


# --- signing in and out -------------------------------------------------------


def test_the_membership_page_needs_a_signed_in_member(client):
    response = client.get("/membership")
    assert response.status_code == 302
    assert response["Location"] == "/auth/sign_in?next=/membership"


def test_signing_in_is_case_insensitive_and_leads_a_paid_member_home(client, member):
    response = client.post("/auth/sign_in", {"username": "MARY", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/home"
    assert "Sign out @mary" in page(client.get("/membership"))


def test_signing_in_with_a_wrong_password_fails(client, member):
    response = client.post("/auth/sign_in", {"username": "mary", "password": "not the password"})
    assert response.status_code == 200
    assert client.get("/membership").status_code == 302


def test_signing_out_works_by_post_only(member):
    client = signed_in(member)
    assert client.get("/auth/sign_out").status_code == 405
    assert client.get("/membership").status_code == 200
    response = client.post("/auth/sign_out")
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/membership").status_code == 302


# --- paying on the membership page ------------------------------------------------


def test_paying_with_a_good_card_activates_the_membership(newcomer):
    client = signed_in(newcomer)
    response = client.post("/membership", pay_form(GOOD_CARD))
    assert response.status_code == 302
    assert response["Location"] == "/home"
    assert state_of(newcomer) == "active"

    html = page(client.get("/membership"))
    assert "Thank you — your membership is active." in html
    assert "Visa ending 4242, expires 12/2030" in html
    assert "Paid until 1 December 2026; renews then at 3.00 USD a month." in html
    assert "read-only" not in html
    assert "3.00 USD" in html  # the charge, in the payments table


def test_a_declined_card_is_refused_with_402_and_the_membership_stays_pending(newcomer):
    response = signed_in(newcomer).post("/membership", pay_form(DECLINED_CARD, cvc="987"))
    assert response.status_code == 402
    html = page(response)
    assert "Your card was declined." in html
    assert state_of(newcomer) == "pending_payment"
    # The card number and the CVC are never sent back; the expiry may be.
    assert input_value(html, "card_number") is None
    assert input_value(html, "cvc") is None
    assert input_value(html, "exp_month") == "12"
    assert DECLINED_CARD not in html


def test_an_invalid_card_number_is_refused(newcomer):
    response = signed_in(newcomer).post("/membership", pay_form("4242 4242 4242 4241", cvc="987"))
    assert response.status_code == 422
    html = page(response)
    assert "Your card number is invalid; please check it." in html
    assert input_value(html, "card_number") is None
    assert input_value(html, "cvc") is None
    assert "4242424242424241" not in html
    assert state_of(newcomer) == "pending_payment"


def test_an_incomplete_card_form_is_refused_without_echoing_the_card(newcomer):
    response = signed_in(newcomer).post(
        "/membership", {"card_number": "4242424242424242", "cvc": "987", "exp_month": "13"}
    )
    assert response.status_code == 422
    html = page(response)
    assert "This field is required." in html  # exp_year
    assert input_value(html, "card_number") is None
    assert input_value(html, "cvc") is None
    assert state_of(newcomer) == "pending_payment"


def test_a_card_already_paying_for_another_account_is_refused(member, newcomer):
    response = signed_in(newcomer).post("/membership", pay_form("4242424242424242"))
    assert response.status_code == 422
    assert "This card already pays for another Obole account." in page(response)
    assert state_of(newcomer) == "pending_payment"
    assert state_of(member) == "active"


def test_the_same_card_in_full_width_digits_does_not_dodge_the_one_card_rule(member, newcomer):
    response = signed_in(newcomer).post("/membership", pay_form("４２４２４２４２４２４２４２４２"))
    assert response.status_code == 422
    assert "Your card number must be 12 to 19 digits." in page(response)
    assert state_of(newcomer) == "pending_payment"


def test_a_member_can_cancel_and_resume_through_the_forms(member):
    client = signed_in(member)
    html = page(client.get("/membership"))
    assert 'action="/membership/cancel"' in html

    response = client.post("/membership/cancel")
    assert response.status_code == 302
    assert state_of(member) == "canceled"
    html = page(client.get("/membership"))
    assert "Canceled — you keep posting until 1 December 2026, then it ends." in html
    assert 'action="/membership/resume"' in html

    response = client.post("/membership/resume")
    assert response.status_code == 302
    assert state_of(member) == "active"
    html = page(client.get("/membership"))
    assert "Welcome back — your membership renews as before." in html
    assert "Paid until 1 December 2026" in html


def test_cancel_and_resume_need_a_post(member):
    client = signed_in(member)
    assert client.get("/membership/cancel").status_code == 405
    assert client.get("/membership/resume").status_code == 405
    assert state_of(member) == "active"


def test_cancelling_an_unpaid_membership_says_why_it_cannot(newcomer):
    client = signed_in(newcomer)
    response = client.post("/membership/cancel", follow=True)
    assert "You cannot cancel a membership that is pending payment." in page(response)
    assert state_of(newcomer) == "pending_payment"


# --- email confirmation ----------------------------------------------------------


def sign_up_with_confirmation(client, settings) -> tuple[Account, str]:
    settings.OBOLE_EMAIL_CONFIRMATION = True
    response = client.post(
        "/auth/sign_up", {"username": "paula", "email": "paula@example.org", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["paula@example.org"]
    link = re.search(r"http://testserver(/auth/confirm/\S+)", message.body)
    assert link, message.body
    return Account.objects.get(username="paula"), link.group(1)


def test_sign_up_sends_a_confirmation_link_that_confirms_the_email(client, settings):
    account, path = sign_up_with_confirmation(client, settings)
    assert account.email_confirmed_at is None
    assert "Confirm your email address to start posting." in page(client.get("/membership"))

    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == "/membership"
    account.refresh_from_db()
    assert NOW <= account.email_confirmed_at < NOW + timedelta(minutes=5)
    html = page(client.get("/membership"))
    assert "your email address is confirmed" in html
    assert "Confirm your email address" not in html


def test_the_confirmation_link_works_from_another_device(client, settings):
    account, path = sign_up_with_confirmation(client, settings)
    assert Client().get(path).status_code == 302
    account.refresh_from_db()
    assert account.email_confirmed_at is not None


def test_following_the_link_twice_keeps_the_first_confirmation_time(client, settings):
    account, path = sign_up_with_confirmation(client, settings)
    client.get(path)
    account.refresh_from_db()
    confirmed_at = account.email_confirmed_at
    assert client.get(path).status_code == 302
    account.refresh_from_db()
    assert account.email_confirmed_at == confirmed_at


def test_a_tampered_confirmation_link_is_refused(client, settings, member):
    account, path = sign_up_with_confirmation(client, settings)
    token = path.rsplit("/", 1)[1]
    tampered = token[:-1] + ("a" if token[-1] != "a" else "b")
    for bad in (f"/auth/confirm/{tampered}", "/auth/confirm/not-a-token", f"/auth/confirm/{token[5:]}"):
        response = client.get(bad)
        assert response.status_code == 400, bad
        assert "That link does not work" in page(response)
    account.refresh_from_db()
    assert account.email_confirmed_at is None


def test_the_confirmation_link_of_one_account_does_not_confirm_another(client, settings, member):
    from obole.accounts import confirmation

    _, path = sign_up_with_confirmation(client, settings)
    member.email = "someone-else@example.org"  # a token for mary's old address
    stale = confirmation.make_token(member)
    member.refresh_from_db()
    assert client.get(f"/auth/confirm/{stale}").status_code == 400
    member.refresh_from_db()
    assert member.email_confirmed_at is None


def test_a_confirmation_link_expires_after_a_week(client, settings, time_machine):
    account, path = sign_up_with_confirmation(client, settings)
    time_machine.move_to(NOW + timedelta(days=8))
    assert client.get(path).status_code == 400
    account.refresh_from_db()
    assert account.email_confirmed_at is None


def test_a_new_link_can_be_sent_from_the_membership_page(client, settings):
    account, _ = sign_up_with_confirmation(client, settings)
    assert "Send it again" in page(client.get("/membership"))
    response = client.post("/auth/confirm_again")
    assert response.status_code == 302
    assert len(mail.outbox) == 2
    fresh = re.search(r"http://testserver(/auth/confirm/\S+)", mail.outbox[1].body).group(1)
    assert client.get(fresh).status_code == 302
    account.refresh_from_db()
    assert account.email_confirmed_at is not None
    client.post("/auth/confirm_again")
    assert len(mail.outbox) == 2  # nothing more to confirm, nothing sent


def test_the_confirmation_link_still_works_after_signing_in_again(client, settings, time_machine):
    account, path = sign_up_with_confirmation(client, settings)
    client.post("/auth/sign_out")
    time_machine.move_to(NOW + timedelta(hours=1))
    assert client.post("/auth/sign_in", {"username": "paula", "password": PASSWORD}).status_code == 302
    assert client.get(path).status_code == 302
    account.refresh_from_db()
    assert account.email_confirmed_at is not None
