"""Accounts: who may sign up under which name, and how passwords are kept."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from obole.accounts.models import Account
from obole.accounts.services import create_account
from obole.accounts.validators import RESERVED_USERNAMES
from obole.membership.models import Membership
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def refusal(username: str, password: str = PASSWORD) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        create_account(username, password, "someone@example.org")
    return caught.value.message_dict


def test_a_new_account_has_an_unpaid_membership_pending_payment():
    account = create_account("paula", PASSWORD, "paula@example.org")
    membership = Membership.objects.get(account=account)
    assert membership.state == "pending_payment"
    assert membership.paid_until is None
    assert membership.payment_method is None
    assert account.email == "paula@example.org"
    assert account.email_confirmed_at is None


def test_account_ids_are_time_ordered_snowflakes():
    first = create_account("first", PASSWORD)
    second = create_account("second", PASSWORD)
    assert first.pk > 2**40
    assert second.pk > first.pk


def test_usernames_are_unique_whatever_their_case():
    create_account("mary", PASSWORD)
    assert refusal("Mary") == {"username": ["That username is taken."]}
    assert refusal("MARY") == {"username": ["That username is taken."]}
    assert Account.objects.count() == 1
    assert Membership.objects.count() == 1


def test_the_username_keeps_the_case_it_was_chosen_with():
    assert create_account("MaryJane", PASSWORD).username == "MaryJane"


@pytest.mark.parametrize("username", ["mary-jane", "mary jane", "mary.jane", "märy", "@mary", "mary\n", "😀"])
def test_a_username_may_contain_only_letters_digits_and_underscores(username):
    assert refusal(username) == {"username": ["A username may contain only letters, digits and underscores."]}
    assert not Account.objects.exists()


def test_letters_digits_and_underscores_make_a_valid_username():
    assert create_account("Mary_Jane_42", PASSWORD).username == "Mary_Jane_42"
    assert create_account("_", PASSWORD).username == "_"


def test_a_username_may_be_thirty_characters_long_but_not_more():
    assert create_account("a" * 30, PASSWORD).username == "a" * 30
    assert refusal("b" * 31) == {"username": ["A username can be at most 30 characters long."]}


def test_an_empty_username_is_refused():
    assert refusal("") == {"username": ["Choose a username."]}


@pytest.mark.parametrize("username", ["admin", "Admin", "ROOT", "support", "obole", "well_known"])
def test_reserved_usernames_are_refused_in_any_case(username):
    assert refusal(username) == {"username": ["That username is reserved; please choose another."]}


def test_every_reserved_username_is_refused():
    for name in RESERVED_USERNAMES:
        assert "username" in refusal(name)
    assert not Account.objects.exists()


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short1!", "too short"),
        ("password123", "too common"),
        ("83749201937465", "entirely numeric"),
        ("paula_bennett", "too similar"),
    ],
)
def test_weak_passwords_are_refused_under_the_password_key(password, reason):
    with pytest.raises(ValidationError) as caught:
        create_account("paula_bennett", password, "paula@example.org")
    errors = caught.value.message_dict
    assert list(errors) == ["password"]
    assert any(reason in message for message in errors["password"])
    assert not Account.objects.exists()


def test_the_password_is_stored_hashed_not_in_plain_text():
    account = create_account("paula", PASSWORD)
    stored = Account.objects.get(pk=account.pk).password
    assert PASSWORD not in stored
    assert stored.startswith("md5$")  # the fast test hasher: a hash, with its algorithm named
    assert account.check_password(PASSWORD)
    assert not account.check_password(PASSWORD.upper())


def test_log_in_is_case_insensitive_on_the_username():
    account = create_account("mary", PASSWORD)
    assert authenticate(username="mary", password=PASSWORD) == account
    assert authenticate(username="MaRy", password=PASSWORD) == account


def test_log_in_with_a_wrong_password_or_unknown_name_fails():
    create_account("mary", PASSWORD)
    assert authenticate(username="mary", password="wrong password") is None
    assert authenticate(username="maryann", password=PASSWORD) is None


def test_usernames_differing_only_in_case_are_refused_by_the_database_itself():
    create_account("mary", PASSWORD)
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.create(username="MARY")
    assert Account.objects.filter(username__iexact="mary").count() == 1


def test_an_account_is_shown_with_an_at_sign():
    assert str(create_account("paula", PASSWORD)) == "@paula"


def test_members_log_in_with_their_username_or_their_email(db):
    from django.contrib.auth import authenticate

    from tests.conftest import PASSWORD, make_account

    account = make_account("erin")
    assert authenticate(username="ERIN", password=PASSWORD) == account
    assert authenticate(username="Erin@Example.org", password=PASSWORD) == account
    assert authenticate(username="erin@example.org", password="wrong") is None
    make_account("erin2").__class__.objects.filter(username="erin2").update(email="erin@example.org")
    assert authenticate(username="erin@example.org", password=PASSWORD) is None  # ambiguous
