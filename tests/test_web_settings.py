"""The settings pages: profile, password, membership and billing, export, and deleting an account."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from oauth2_provider.models import AccessToken

from obole.accounts import graph
from obole.accounts.models import Account, Follow
from obole.accounts.services import create_account
from obole.membership import services as membership
from obole.membership.models import CardFingerprint, Invoice, LedgerEntry, Membership, invoice
from obole.membership.providers.base import DISPUTE_CREATED, ProviderEvent
from obole.posts import filters, lists, pins, tag_follows
from obole.posts import services as posts
from obole.posts.models import Bookmark, Favourite, Notification, Status
from obole.posts.timelines import store
from tests.conftest import NOW, PASSWORD, card, make_account, token_for

pytestmark = pytest.mark.django_db

MARY_CARD = "4242424242424242"
PAGES = ["/settings/profile", "/settings/password", "/settings/export", "/settings/delete", "/membership"]


@pytest.fixture(autouse=True)
def _at_now(time_machine):
    time_machine.move_to(NOW)


def signed_in(account, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(account)
    return client


def page(response) -> str:
    return response.content.decode()


def download(response) -> dict:
    return json.loads(b"".join(response.streaming_content))


def fresh(account) -> Account:
    return Account.objects.get(pk=account.pk)


# --- who may see the settings -----------------------------------------------------------


@pytest.mark.parametrize("path", ["/settings", *PAGES, "/settings/membership"])
def test_a_signed_out_visitor_is_sent_to_sign_in(db, path):
    response = Client().get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/auth/sign_in?next=")


@pytest.mark.parametrize(
    "path", ["/settings/profile", "/settings/password", "/settings/export", "/settings/delete"]
)
def test_a_signed_out_post_changes_nothing_and_is_sent_to_sign_in(member, path):
    response = Client().post(path, {"display_name": "Hacked", "password": PASSWORD, "username": "mary"})
    assert response.status_code == 302 and "/auth/sign_in" in response["Location"]
    assert fresh(member).display_name == "" and fresh(member).is_active


@pytest.mark.parametrize("path", PAGES)
def test_an_unpaid_member_can_open_every_settings_page(newcomer, path):
    response = signed_in(newcomer).get(path)
    assert response.status_code == 200
    assert 'aria-label="Settings"' in page(response)


@pytest.mark.parametrize("path", PAGES)
def test_a_paid_member_can_open_every_settings_page(member, path):
    assert signed_in(member).get(path).status_code == 200


def test_settings_open_on_the_profile_and_membership_is_the_one_membership_page(member):
    client = signed_in(member)
    assert client.get("/settings")["Location"] == "/settings/profile"
    assert client.get("/settings/membership")["Location"] == "/membership"


@pytest.mark.parametrize(
    ("path", "label"),
    [
        ("/settings/profile", "Profile"),
        ("/settings/password", "Password"),
        ("/membership", "Membership and billing"),
        ("/settings/export", "Export my data"),
        ("/settings/delete", "Delete my account"),
    ],
)
def test_the_settings_tab_list_marks_the_page_you_are_on(member, path, label):
    html = page(signed_in(member).get(path))
    tabs = re.search(r'<nav class="settings-nav".*?</nav>', html, re.S).group(0)
    assert re.search(rf'aria-current="page">{label}</a>', tabs)
    assert tabs.count('aria-current="page"') == 1


def test_another_member_sees_and_changes_only_their_own_settings(member, outsider):
    client = signed_in(outsider)
    html = page(client.get("/settings/profile"))
    assert "oscar" in html and "mary" not in html
    client.post("/settings/profile", {"display_name": "", "default_visibility": "private"})
    assert fresh(member).default_visibility == "public" and fresh(outsider).default_visibility == "private"
    # The forms act on the signed-in account whatever the body names.
    client.post("/settings/delete", {"password": PASSWORD, "username": "mary"})
    assert fresh(member).is_active and fresh(outsider).is_active


def test_staff_have_no_special_access_to_others_settings(member, outsider):
    Account.objects.filter(pk=outsider.pk).update(is_staff=True, is_superuser=True)
    posts.post_status(member, "Mary's own words", now=NOW)
    client = signed_in(fresh(outsider))
    archive = download(client.post("/settings/export"))
    assert archive["account"]["username"] == "oscar"
    assert "Mary's own words" not in json.dumps(archive)
    assert client.post("/settings/delete", {"password": PASSWORD, "username": "mary"}).status_code == 422
    assert fresh(member).is_active


@pytest.mark.parametrize(
    "path", ["/settings/profile", "/settings/password", "/settings/export", "/settings/delete"]
)
def test_every_settings_form_needs_its_csrf_token(member, path):
    client = signed_in(member, enforce_csrf_checks=True)
    assert 'name="csrfmiddlewaretoken"' in page(client.get(path))
    assert client.post(path, {"password": PASSWORD, "username": "mary"}).status_code == 403
    assert fresh(member).is_active


# --- profile -------------------------------------------------------------------------------


def test_a_member_changes_their_profile(member):
    client = signed_in(member)
    response = client.post(
        "/settings/profile",
        {
            "display_name": "  Mary M.  ",
            "note": "Knitting and #obole",
            "bot": "on",
            "default_visibility": "unlisted",
        },
    )
    assert response.status_code == 302
    account = fresh(member)
    assert (account.display_name, account.note, account.bot, account.default_visibility) == (
        "Mary M.",
        "Knitting and #obole",
        True,
        "unlisted",
    )
    html = page(client.get("/settings/profile"))
    assert "Your profile is saved." in html and 'value="Mary M."' in html
    # The default applies to the next post.
    assert posts.post_status(account, "hello", now=NOW).visibility == "unlisted"


def test_an_unpaid_member_may_change_their_settings_but_not_publish_profile_text(newcomer):
    client = signed_in(newcomer)
    refused = client.post("/settings/profile", {"display_name": "BUY PILLS", "default_visibility": "private"})
    assert refused.status_code == 402 and "once your membership is paid" in page(refused)
    assert fresh(newcomer).display_name == "" and fresh(newcomer).default_visibility == "public"
    client.post("/settings/profile", {"display_name": "", "default_visibility": "private"})
    assert fresh(newcomer).default_visibility == "private"


@pytest.mark.parametrize(
    "change",
    [
        {"display_name": "x" * 31},
        {"note": "y" * 501},
        {"default_visibility": "everyone"},
        {"default_visibility": ""},
    ],
)
def test_bad_profile_input_is_refused_with_a_message_and_saves_nothing(member, change):
    body = {"display_name": "Mary", "note": "", "default_visibility": "public"} | change
    response = signed_in(member).post("/settings/profile", body)
    assert response.status_code == 422
    assert 'class="error" role="alert"' in page(response)
    assert fresh(member).display_name == ""


def test_the_profile_page_labels_every_field(member):
    html = page(signed_in(member).get("/settings/profile"))
    for name in ("display_name", "note", "bot"):
        assert f'for="id_{name}"' in html
    assert "<legend>Who sees your new posts by default</legend>" in html


# --- password ------------------------------------------------------------------------------


def test_a_member_changes_their_password_and_stays_signed_in(member):
    client, elsewhere = signed_in(member), signed_in(member)
    response = client.post(
        "/settings/password",
        {
            "old_password": PASSWORD,
            "new_password1": "a much newer passphrase",
            "new_password2": "a much newer passphrase",
        },
    )
    assert response.status_code == 302
    assert client.get("/settings/profile").status_code == 200
    # The other session was signed in with the old password: it ends.
    assert elsewhere.get("/settings/profile").status_code == 302
    assert Client().login(username="mary", password="a much newer passphrase")
    assert not Client().login(username="mary", password=PASSWORD)


@pytest.mark.parametrize(
    "body",
    [
        {
            "old_password": "wrong",
            "new_password1": "a much newer passphrase",
            "new_password2": "a much newer passphrase",
        },
        {
            "old_password": PASSWORD,
            "new_password1": "a much newer passphrase",
            "new_password2": "another one entirely",
        },
        {"old_password": PASSWORD, "new_password1": "password", "new_password2": "password"},
        {"old_password": PASSWORD, "new_password1": "12345678901", "new_password2": "12345678901"},
        {"old_password": PASSWORD},
        {},
    ],
)
def test_a_bad_password_change_is_refused_and_the_old_password_still_works(member, body):
    response = signed_in(member).post("/settings/password", body)
    assert response.status_code == 422
    assert 'role="alert"' in page(response)
    assert Client().login(username="mary", password=PASSWORD)


# --- membership and billing -------------------------------------------------------------------


def test_the_membership_page_shows_the_plan_the_card_and_the_payments(member):
    charge = LedgerEntry.objects.get(account=member)
    membership.refund(charge, amount=100, memo="goodwill", now=NOW)
    html = page(signed_in(member).get("/membership"))
    assert "Paid until 1 December 2026; renews then at 3.00 USD a month." in html
    assert "Visa ending 4242, expires 12/2030" in html
    assert "Charge — first 2026-11-01 to 2026-12-01" in html
    assert "Refund — goodwill" in html and "-1.00 USD" in html
    assert "Change card" in html and "Cancel at period end" in html
    assert MARY_CARD not in html


def test_an_unpaid_member_sees_why_and_how_to_pay(newcomer):
    html = page(signed_in(newcomer).get("/membership"))
    assert "read-only" in html and "Pay 3.00 USD a month" in html


# --- export ----------------------------------------------------------------------------------


def test_the_export_page_explains_the_archive(member):
    html = page(signed_in(member).get("/settings/export"))
    assert "obole-mary-2026-11-01.json" in html
    assert "never stores card numbers" in html
    assert '<form method="post">' in html


def test_the_export_downloads_a_json_attachment_named_for_the_member_and_the_day(member):
    response = signed_in(member).post("/settings/export")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"] == 'attachment; filename="obole-mary-2026-11-01.json"'
    assert response["Cache-Control"] == "no-store"


def world_with_activity(member, outsider):
    """Mary posts, replies, reposts, likes, bookmarks, follows, blocks and mutes; others do things too."""
    friend = make_account("fred", paid=True)
    stranger = make_account("sam", paid=True)
    theirs = posts.post_status(friend, "Fred's first post", now=NOW)
    mine = posts.post_status(member, "Mary's very own words", now=NOW)
    reply = posts.post_status(member, "@fred nice one", in_reply_to_id=theirs.pk, now=NOW)
    repost = posts.reblog(member, theirs.pk, now=NOW)
    posts.favourite(member, theirs.pk, now=NOW)
    posts.bookmark(member, theirs.pk)
    graph.follow(member, friend, now=NOW)
    graph.follow(friend, member, now=NOW)
    graph.block(member, outsider)
    graph.mute(member, stranger)
    posts.post_status(stranger, "Sam's secret thoughts", visibility="private", now=NOW)
    return friend, stranger, theirs, mine, reply, repost


def test_the_export_holds_the_members_posts_graph_likes_and_ledger_and_nothing_of_others(member, outsider):
    friend, stranger, theirs, mine, reply, repost = world_with_activity(member, outsider)
    pins.pin(member, mine.pk, now=NOW)
    friends = lists.create(member, "Friends", now=NOW)
    lists.add(member, friends, [str(friend.pk)], now=NOW)
    tag_follows.follow(member, "gardening", now=NOW)
    filters.create(member, title="Spoilers", context=["home"], keywords=[{"keyword": "ending"}], now=NOW)
    charge = LedgerEntry.objects.get(account=member)
    membership.refund(charge, amount=100, memo="goodwill", now=NOW)
    archive = download(signed_in(member).post("/settings/export"))

    assert archive["account"]["username"] == "mary" and archive["account"]["email"] == "mary@example.org"
    statuses = {row["id"]: row for row in archive["statuses"]}
    assert set(statuses) == {str(mine.pk), str(reply.pk), str(repost.pk)}
    assert statuses[str(mine.pk)]["text"] == "Mary's very own words"
    assert statuses[str(mine.pk)]["visibility"] == "public" and statuses[str(mine.pk)]["created_at"]
    assert statuses[str(reply.pk)]["in_reply_to_id"] == str(theirs.pk)
    assert statuses[str(repost.pk)]["reblog_of_id"] == str(theirs.pk)
    assert set(statuses[str(mine.pk)]) >= {
        "id", "created_at", "visibility", "text", "content", "in_reply_to_id", "reblog_of_id",
        "spoiler_text", "language",
    }  # fmt: skip
    assert archive["following"] == ["fred"] and archive["followers"] == ["fred"]
    assert archive["blocks"] == ["oscar"] and archive["mutes"] == ["sam"]
    assert [like["status_id"] for like in archive["likes"]] == [str(theirs.pk)]
    assert archive["likes"][0]["url"].endswith(f"/@fred/{theirs.pk}")
    assert [like["status_id"] for like in archive["bookmarks"]] == [str(theirs.pk)]
    assert [pin["status_id"] for pin in archive["pinned"]] == [str(mine.pk)]
    assert archive["lists"] == [{"title": "Friends", "replies_policy": "list", "exclusive": False,
                                 "accounts": ["fred"]}]  # fmt: skip
    assert archive["followed_hashtags"] == ["gardening"]
    keywords = [{"keyword": "ending", "whole_word": True}]
    assert archive["filters"] == [{"title": "Spoilers", "context": ["home"], "filter_action": "warn",
                                   "expires_at": None, "keywords": keywords}]  # fmt: skip

    paid = archive["membership"]
    assert paid["state"] == "active" and paid["paid_until"] == "2026-12-01T12:00:00Z"
    assert paid["plan"] == {"amount": 300, "currency": "USD", "interval": "month"}
    assert paid["payment_method"] == {
        "brand": "visa", "last4": "4242", "funding": "credit", "exp_month": 12, "exp_year": 2030,
    }  # fmt: skip
    assert [(e["kind"], e["amount"], e["currency"]) for e in paid["ledger"]] == [
        ("charge", 300, "USD"),
        ("refund", -100, "USD"),
    ]
    text = json.dumps(archive)
    assert "Fred's first post" not in text and "Sam's secret thoughts" not in text
    assert MARY_CARD not in text


def test_an_unpaid_member_may_export_their_data(newcomer):
    archive = download(signed_in(newcomer).post("/settings/export"))
    assert archive["account"]["username"] == "nina"
    assert archive["statuses"] == [] and archive["membership"]["state"] == "pending_payment"
    assert archive["membership"]["ledger"] == [] and archive["membership"]["payment_method"] is None


def test_the_export_takes_a_fixed_number_of_queries_however_much_there_is(
    member, outsider, django_assert_max_num_queries
):
    world_with_activity(member, outsider)
    for n in range(60):
        posts.post_status(member, f"post number {n}", now=NOW)
    client = signed_in(member)
    # The session and the account, then the archive: statuses, 4 lists of usernames,
    # likes, bookmarks, pins, lists (2), followed hashtags, filters (2), the membership and the ledger.
    with django_assert_max_num_queries(17):
        archive = download(client.post("/settings/export"))
    assert len(archive["statuses"]) == 63


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_the_export_answers_other_methods_with_405(member, method):
    assert getattr(signed_in(member), method)("/settings/export").status_code == 405


# --- delete ---------------------------------------------------------------------------------


def test_the_delete_page_says_what_happens(member):
    html = page(signed_in(member).get("/settings/delete"))
    assert "paid until 1 December 2026" in html and "not refunded" in html
    assert "@mary</strong> stays reserved" in html
    assert 'autocomplete="current-password"' in html


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"password": "wrong", "username": "mary"}, "That is not your current password."),
        ({"password": PASSWORD, "username": "marie"}, "Type your username, mary, to confirm."),
        ({"password": PASSWORD}, "This field is required."),
        ({"username": "mary"}, "This field is required."),
        ({}, "This field is required."),
        ({"password": PASSWORD, "username": "m" * 500}, "Ensure this value has at most 64 characters"),
    ],
)
def test_deleting_needs_the_current_password_and_the_typed_username(member, body, message):
    response = signed_in(member).post("/settings/delete", body)
    assert response.status_code == 422
    assert message in page(response)
    assert fresh(member).is_active


def delete(account) -> Client:
    client = signed_in(account)
    response = client.post("/settings/delete", {"password": PASSWORD, "username": account.username.upper()})
    assert response.status_code == 302 and response["Location"] == "/auth/goodbye"
    return client


def test_deleting_an_account_signs_out_and_says_goodbye(member):
    client = delete(member)
    goodbye = client.get("/auth/goodbye")
    assert goodbye.status_code == 200 and "Goodbye, @mary" in page(goodbye)
    assert client.get("/auth/goodbye")["Location"] == "/"  # shown once
    assert client.get("/settings/profile").status_code == 302


def test_a_deleted_account_cannot_sign_in_on_the_web_or_with_an_app(member):
    raw = token_for(member)
    delete(member)
    assert Client().post("/auth/sign_in", {"username": "mary", "password": PASSWORD}).status_code == 200
    assert not Client().login(username="mary", password=PASSWORD)
    assert AccessToken.objects.filter(user=member).count() == 0
    response = Client().get("/api/v1/accounts/verify_credentials", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 401


def test_deleting_removes_posts_likes_follows_and_fixes_everyones_counters(member, outsider):
    friend, stranger, theirs, mine, reply, repost = world_with_activity(member, outsider)
    posts.favourite(friend, mine.pk, now=NOW)
    friends_repost = posts.reblog(friend, mine.pk, now=NOW)
    before = fresh(friend)
    assert (before.followers_count, before.following_count) == (1, 1)
    theirs.refresh_from_db()
    assert (theirs.replies_count, theirs.reblogs_count, theirs.favourites_count) == (1, 1, 1)

    delete(member)

    assert not Status.objects.filter(account=member).exists()
    assert not Status.objects.filter(pk=friends_repost.pk).exists()  # reposts of the deleted posts go too
    assert not Favourite.objects.filter(account=member).exists()
    assert not Bookmark.objects.filter(account=member).exists()
    assert (
        not Follow.objects.filter(follower=member).exists()
        and not Follow.objects.filter(target=member).exists()
    )
    assert not Notification.objects.filter(from_account=member).exists()
    assert not Notification.objects.filter(recipient=member).exists()
    after = fresh(friend)
    assert (after.followers_count, after.following_count) == (0, 0)
    theirs.refresh_from_db()
    assert (theirs.replies_count, theirs.reblogs_count, theirs.favourites_count) == (0, 0, 0)
    gone = [mine.pk, reply.pk, repost.pk, friends_repost.pk]
    for reader in (friend, stranger, outsider):
        assert not set(gone) & set(store().page(reader.pk, limit=40))
    assert store().page(member.pk) == []
    assert theirs.pk in store().page(friend.pk, limit=40)
    account = fresh(member)
    assert (account.statuses_count, account.followers_count, account.following_count) == (0, 0, 0)
    assert (account.display_name, account.note, account.email, account.is_active) == ("", "", "", False)
    assert not account.has_usable_password()


def test_deleting_keeps_the_ledger_and_ends_the_membership_without_a_refund(member):
    charge = LedgerEntry.objects.get(account=member)
    delete(member)
    assert list(LedgerEntry.objects.filter(account=member)) == [charge]
    ended = Membership.objects.get(pk=member.pk)
    assert ended.state == "expired" and ended.payment_method is None
    assert [e.transition for e in ended.events.order_by("id")][-2:] == ["cancel", "expire"]


def test_the_card_of_a_deleted_account_may_pay_for_another(member):
    delete(member)
    someone = make_account("sally")
    membership.pay(someone, card(MARY_CARD), now=NOW)
    assert Membership.objects.get(pk=someone.pk).state == "active"


def test_a_banned_account_stays_banned_and_its_card_blocklisted_after_deleting(member):
    membership.ban(member, reason="spam", now=NOW)
    html = page(signed_in(member).get("/settings/delete"))
    assert "a card blocked for abuse stays blocked" in html
    delete(member)
    assert Membership.objects.get(pk=member.pk).state == "banned"
    assert CardFingerprint.objects.filter(blocked_at__isnull=False).count() == 1


def test_the_username_of_a_deleted_account_cannot_be_taken(member):
    delete(member)
    with pytest.raises(ValidationError):
        create_account("mary", PASSWORD, "new@example.org")


def test_an_unpaid_member_may_delete_their_account(newcomer):
    delete(newcomer)
    assert not fresh(newcomer).is_active
    assert Membership.objects.get(pk=newcomer.pk).state == "pending_payment"


def test_a_deleted_account_disappears_from_the_api(member, outsider):
    posts.post_status(member, "soon gone", now=NOW)
    delete(member)
    api = Client()
    headers = {"Authorization": f"Bearer {token_for(outsider)}"}
    assert api.get(f"/api/v1/accounts/{member.pk}", headers=headers).status_code == 404
    assert api.get("/api/v1/timelines/public", headers=headers).json() == []


def test_a_past_due_membership_ends_at_once_too(member):
    Membership.objects.get(pk=member.pk).mark_past_due(now=NOW, reason="declined")
    delete(member)
    assert Membership.objects.get(pk=member.pk).state == "expired"


def test_an_account_is_not_deleted_while_a_charge_is_in_flight(member):
    Invoice.objects.create(
        membership_id=member.pk,
        kind=invoice.RENEWAL,
        period_start=NOW + timedelta(days=30),
        period_end=NOW + timedelta(days=60),
        amount=300,
        currency="USD",
        status=invoice.CHARGING,
        created_at=NOW,
    )
    response = signed_in(member).post("/settings/delete", {"password": PASSWORD, "username": "mary"})
    assert response.status_code == 409
    assert "in progress" in page(response)
    assert fresh(member).is_active and Membership.objects.get(pk=member.pk).state == "active"


def test_a_staff_account_made_by_createsuperuser_can_export_and_delete(db):
    admin = Account.objects.create_superuser("admin", "admin@example.org", PASSWORD)
    client = signed_in(admin)
    assert download(client.post("/settings/export"))["membership"]["state"] == "pending_payment"
    assert client.get("/settings/delete").status_code == 200
    delete(admin)
    admin = fresh(admin)
    assert not admin.is_active and not admin.is_staff and not admin.is_superuser


def test_guessing_the_password_on_the_settings_pages_counts_as_failed_sign_ins(member, settings):
    settings.OBOLE_LOGIN_FAILURES_PER_IP_AND_USERNAME = 3
    client = signed_in(member)
    wrong = {"old_password": "guess", "new_password1": "a much newer passphrase"}
    for _ in range(2):
        assert (
            client.post(
                "/settings/password", wrong | {"new_password2": "a much newer passphrase"}
            ).status_code
            == 422
        )
    assert client.post("/settings/delete", {"password": "guess", "username": "mary"}).status_code == 422
    refused = client.post("/settings/delete", {"password": PASSWORD, "username": "mary"})
    assert refused.status_code == 429 and "Too many failed sign-in attempts" in page(refused)
    right = {"old_password": PASSWORD, "new_password1": "a much newer passphrase"}
    assert (
        client.post("/settings/password", right | {"new_password2": "a much newer passphrase"}).status_code
        == 429
    )
    assert fresh(member).is_active and fresh(member).check_password(PASSWORD)
    assert Client().post("/auth/sign_in", {"username": "mary", "password": PASSWORD}).status_code == 429


def test_a_dispute_shows_on_the_membership_page_and_in_the_export(member):
    charge = LedgerEntry.objects.get(account=member)
    event = ProviderEvent(
        id="evt_1", type=DISPUTE_CREATED, charge_ref=charge.provider_ref, object_ref="dp_1", amount=300
    )
    membership.apply_event(event, provider=charge.provider, now=NOW)
    client = signed_in(member)
    html = page(client.get("/membership"))
    assert "Dispute — chargeback" in html and "-3.00 USD" in html
    ledger = download(client.post("/settings/export"))["membership"]["ledger"]
    assert [(e["kind"], e["amount"], e["provider_ref"]) for e in ledger] == [
        ("charge", 300, charge.provider_ref),
        ("dispute", -300, "dp_1"),
    ]
