"""The social pages: home, posts and threads, profiles, hashtags, search, notifications, and their forms."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from obole.accounts import graph
from obole.accounts.models import Block, Follow, Mute
from obole.api.models import Marker
from obole.posts import pins, services
from obole.posts.models import Favourite, Notification, Pin, Status
from obole.posts.pins import MAX_PINS
from obole.web.templatetags.social import ago
from tests.conftest import NOW, make_account

pytestmark = pytest.mark.django_db
FRAGMENT = {"X-Obole-Fragment": "1"}


@pytest.fixture(autouse=True)
def _at_now(time_machine):
    time_machine.move_to(NOW)


@pytest.fixture
def friend(db):
    """Another paying member."""
    return make_account("fred", paid=True)


@pytest.fixture
def staff(db):
    account = make_account("sam", paid=True)
    account.is_staff = True
    account.save(update_fields=["is_staff"])
    return account


def signed_in(account) -> Client:
    client = Client()
    client.force_login(account)
    return client


def html(response) -> str:
    return response.content.decode()


def post(account, text: str = "Hello, Obole", **options) -> Status:
    return services.post_status(account, text, now=NOW, **options)


def url(status: Status) -> str:
    return f"/@{status.account.username}/{status.pk}"


# --- landing and signing in ------------------------------------------------------


def test_the_landing_page_explains_the_fee_and_counts_members_and_todays_posts(client, member, newcomer):
    post(member)
    response = client.get("/")
    assert response.status_code == 200
    text = html(response)
    assert "3.00 USD a month" in text
    assert "<strong>1</strong> paying member" in text
    assert "<strong>1</strong> post today" in text
    assert "Bots cost nothing to create" in text
    assert 'href="/auth/sign_up"' in text and 'href="/auth/sign_in"' in text


def test_a_signed_in_member_is_sent_from_the_landing_page_to_home(member):
    response = signed_in(member).get("/")
    assert response.status_code == 302
    assert response["Location"] == "/home"


def test_a_paid_member_signs_in_to_home_and_an_unpaid_one_to_the_membership_page(member, newcomer):
    from tests.conftest import PASSWORD

    response = Client().post("/auth/sign_in", {"username": "mary", "password": PASSWORD})
    assert response["Location"] == "/home"
    response = Client().post("/auth/sign_in", {"username": "nina", "password": PASSWORD})
    assert response["Location"] == "/membership"
    response = Client().post("/auth/sign_in?next=/tags/cats", {"username": "nina", "password": PASSWORD})
    assert response["Location"] == "/tags/cats"


def test_paying_on_the_membership_page_leads_home(newcomer):
    form = {"card_number": "4242 4242 4242 4242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}
    response = signed_in(newcomer).post("/membership", form)
    assert response.status_code == 302
    assert response["Location"] == "/home"


# --- home -------------------------------------------------------------------------


def test_home_needs_a_signed_in_member(client):
    for path in ("/home", "/notifications"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/auth/sign_in?next=")


def test_home_shows_the_compose_box_and_the_timeline_to_a_paid_member(member, friend):
    graph.follow(member, friend, now=NOW)
    mine, theirs = post(member, "my own words"), post(friend, "the words of a friend #cats")
    text = html(signed_in(member).get("/home"))
    assert '<label for="compose-text">' in text
    assert 'name="csrfmiddlewaretoken"' in text
    assert 'data-max="500"' in text
    assert text.index("the words of a friend") < text.index("my own words")  # newest first
    assert '<time datetime="2026-11-01T12:00:00+00:00"' in text
    assert 'aria-label="Like"' in text and 'aria-label="Repost"' in text
    assert 'aria-label="Delete post"' in text  # on the member's own post
    assert f"/statuses/{mine.pk}/delete" in text
    assert f"/statuses/{theirs.pk}/delete" not in text  # not on the friend's


def test_an_unpaid_member_sees_why_and_a_pay_button_instead_of_the_compose_box(newcomer, member):
    graph.follow(make_account("walt", paid=True), member, now=NOW)
    text = html(signed_in(newcomer).get("/home"))
    assert "Your account is read-only until your membership is paid." in text
    assert "Pay for your membership" in text and 'href="/membership"' in text
    assert 'name="status"' not in text


def test_an_unpaid_member_sees_pay_links_instead_of_like_and_repost_buttons(newcomer, member):
    status = post(member, "look at this")
    text = html(signed_in(newcomer).get(url(status)))
    assert "Pay to like, repost and reply" in text
    assert 'aria-label="Like"' not in text
    assert "look at this" in text


def test_posting_from_the_compose_box_puts_the_post_on_home(member):
    client = signed_in(member)
    response = client.post(
        "/statuses/new", {"status": "First post from the web", "visibility": "public", "next": "/home"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/home"
    status = Status.objects.get(account=member)
    assert status.text == "First post from the web"
    assert "First post from the web" in html(client.get("/home"))


def test_posting_with_javascript_answers_the_new_card(member):
    response = signed_in(member).post("/statuses/new", {"status": "fresh #news"}, headers=FRAGMENT)
    assert response.status_code == 201
    assert "<article" in html(response) and "fresh" in html(response)
    assert 'href="/tags/news"' in html(response) or "/tags/news" in html(response)


def test_a_post_with_a_content_warning_and_visibility_keeps_both(member):
    signed_in(member).post(
        "/statuses/new", {"status": "spoilers", "spoiler_text": "film ending", "visibility": "private"}
    )
    status = Status.objects.get(account=member)
    assert (status.spoiler_text, status.visibility) == ("film ending", "private")
    text = html(signed_in(member).get(url(status)))
    assert '<details class="cw"><summary>film ending' in text
    assert "Followers only" in text


@pytest.mark.parametrize(
    "form, message",
    [
        ({"status": ""}, "Text can&#x27;t be blank"),
        ({"status": "x" * 501}, "Text is too long"),
        ({"status": "ok", "visibility": "everyone"}, "visibility must be one of"),
        ({"status": "ok", "spoiler_text": "y" * 600}, "Text is too long"),
        ({"status": "ok", "in_reply_to_id": "12345"}, "Not found"),
        ({"status": "ok", "in_reply_to_id": "abc"}, "Not found"),
    ],
)
def test_a_refused_post_comes_back_with_the_reason_and_never_a_500(member, form, message):
    response = signed_in(member).post("/statuses/new", form)
    assert 400 <= response.status_code < 500
    assert message in html(response)
    assert not Status.objects.filter(account=member).exists()


def test_a_refused_post_keeps_what_was_typed(member):
    response = signed_in(member).post("/statuses/new", {"status": "x" * 501, "visibility": "unlisted"})
    assert response.status_code == 422
    assert "x" * 501 in html(response)
    assert '<option value="unlisted" selected>' in html(response)


def test_a_refused_post_with_javascript_answers_the_reason_as_text(member):
    response = signed_in(member).post("/statuses/new", {"status": "  "}, headers=FRAGMENT)
    assert response.status_code == 422
    assert html(response) == "Validation failed: Text can't be blank"


def test_links_count_as_23_characters_when_posting(member):
    text = "https://example.org/" + "a" * 600 + " " + "b" * 470
    response = signed_in(member).post("/statuses/new", {"status": text})
    assert response.status_code == 302
    assert Status.objects.filter(account=member).exists()


def test_an_unpaid_member_posting_gets_the_explanation_not_an_error(newcomer):
    response = signed_in(newcomer).post("/statuses/new", {"status": "hello"})
    assert response.status_code == 402
    assert "Your account is read-only until your membership is paid." in html(response)
    assert "Pay for your membership" in html(response)
    assert not Status.objects.exists()
    response = signed_in(newcomer).post("/statuses/new", {"status": "hello"}, headers=FRAGMENT)
    assert response.status_code == 402
    assert html(response) == "Your account is read-only until your membership is paid."


def test_a_visitor_cannot_post_like_or_follow(client, member):
    status = post(member)
    for path in ("/statuses/new", f"/statuses/{status.pk}/like", "/@mary/follow"):
        response = client.post(path, {"status": "hi"})
        assert response.status_code == 302
        assert response["Location"].startswith("/auth/sign_in")
    assert Status.objects.count() == 1 and not Favourite.objects.exists()


def test_forms_need_their_csrf_token(member):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    assert client.post("/statuses/new", {"status": "no token"}).status_code == 403
    assert not Status.objects.exists()


def test_load_more_pages_the_home_timeline_without_javascript(member):
    posts = [post(member, f"post number {n}") for n in range(25)]
    client = signed_in(member)
    first = html(client.get("/home"))
    assert "post number 24" in first and "post number 5" in first and "post number 4" not in first
    more = re.search(r'href="(/home\?max_id=\d+)"[^>]*data-load-more', first).group(1)
    assert more == f"/home?max_id={posts[5].pk}"
    second = html(client.get(more))
    assert "post number 4" in second and "post number 0" in second and "post number 5" not in second
    assert "data-load-more" not in second


def test_load_more_with_javascript_answers_only_the_next_cards(member):
    posts = [post(member, f"post number {n}") for n in range(3)]
    response = signed_in(member).get(f"/home?max_id={posts[2].pk}", headers=FRAGMENT)
    text = html(response)
    assert "<html" not in text and "post number 1" in text and "post number 2" not in text


def test_a_malformed_paging_id_is_a_400_page(member, client):
    assert signed_in(member).get("/home?max_id=abc").status_code == 400
    assert client.get("/@mary?max_id=-1").status_code == 400
    assert client.get("/tags/cats?max_id=99999999999999999999999").status_code == 400


def test_the_home_page_is_a_fixed_number_of_queries(member, django_assert_max_num_queries):
    authors = [make_account(f"author{n}", paid=True) for n in range(4)]
    for author in authors:
        graph.follow(member, author, now=NOW)
    client = signed_in(member)
    client.get("/home")  # with Redis, the list is made by a first read, then fan-out fills it
    for n in range(20):
        status = post(authors[n % 4], f"post {n} @mary #tag{n}")
        if n % 3 == 0:
            services.favourite(member, status.pk, now=NOW)
        if n % 5 == 0:
            services.reblog(authors[(n + 1) % 4], status.pk, now=NOW)
    with django_assert_max_num_queries(8):
        response = client.get("/home")
    assert html(response).count("<article") == 20


# --- likes, reposts, deleting --------------------------------------------------------


def test_liking_and_unliking_from_a_form(member, friend):
    status = post(friend)
    client = signed_in(member)
    response = client.post(f"/statuses/{status.pk}/like", {"next": "/home"})
    assert response.status_code == 302 and response["Location"] == "/home"
    assert Favourite.objects.filter(account=member, status=status).exists()
    assert Notification.objects.filter(recipient=friend, type="favourite").exists()
    client.post(f"/statuses/{status.pk}/unlike", {"next": "/home"})
    assert not Favourite.objects.exists()


def test_liking_with_javascript_answers_the_updated_card(member, friend):
    status = post(friend)
    response = signed_in(member).post(f"/statuses/{status.pk}/like", {"card": status.pk}, headers=FRAGMENT)
    text = html(response)
    assert response.status_code == 200
    assert 'aria-pressed="true"' in text and f"/statuses/{status.pk}/unlike" in text
    assert '1<span class="visually-hidden"> like</span>' in text


def test_reposting_and_undoing_it(member, friend):
    status = post(friend, "worth sharing")
    client = signed_in(member)
    client.post(f"/statuses/{status.pk}/repost")
    repost = Status.objects.get(account=member, reblog_of=status)
    text = html(client.get("/home"))
    assert "reposted" in text and "worth sharing" in text
    response = client.post(f"/statuses/{status.pk}/unrepost", {"card": repost.pk}, headers=FRAGMENT)
    assert response.status_code == 200 and "worth sharing" in html(response)
    assert not Status.objects.filter(reblog_of=status).exists()


def test_a_private_post_cannot_be_reposted(member, friend):
    graph.follow(member, friend, now=NOW)
    status = post(friend, "for followers", visibility="private")
    assert 'aria-label="Repost"' not in html(signed_in(member).get(url(status)))
    client = signed_in(member)
    response = client.post(f"/statuses/{status.pk}/repost", {"next": "/home"})
    assert response.status_code == 302
    assert "Only public and unlisted posts can be reposted." in html(client.get("/home"))


def test_an_unpaid_member_liking_gets_the_explanation(newcomer, member):
    status = post(member)
    for action in ("like", "repost"):
        response = signed_in(newcomer).post(f"/statuses/{status.pk}/{action}")
        assert response.status_code == 402
        assert "Pay for your membership" in html(response)
    assert not Favourite.objects.exists() and Status.objects.count() == 1


def test_a_member_pins_a_post_which_heads_their_profile_with_a_label(member, friend, newcomer):
    pinned, later = post(member, "the pinned one"), post(member, "a later one")
    client = signed_in(member)
    response = client.post(f"/statuses/{pinned.pk}/pin", {"next": "/@mary"})
    assert response.status_code == 302 and Pin.objects.filter(account=member, status=pinned).exists()
    page = html(signed_in(friend).get("/@mary"))
    section = page[page.index('id="pinned-title"') : page.index('id="posts-title"')]
    assert "the pinned one" in section and "a later one" not in section and "Pinned" in section
    assert f"/statuses/{pinned.pk}/pin" not in page  # only the author has the button
    own = html(client.get("/@mary"))
    assert f"/statuses/{pinned.pk}/unpin" in own and f"/statuses/{later.pk}/pin" in own
    ids = re.findall(r' id="([^"]+)"', own)  # the post is on the page twice, its ids once each
    assert len(ids) == len(set(ids)) and f"pinned-status-{pinned.pk}" in ids
    fragment = client.post(f"/statuses/{pinned.pk}/unpin", {"card": pinned.pk}, headers=FRAGMENT)
    assert fragment.status_code == 200 and f"/statuses/{pinned.pk}/pin" in html(fragment)
    assert 'id="pinned-title"' not in html(client.get("/@mary"))
    # Someone else's post cannot be pinned; an unpaid account gets the explanation.
    theirs = post(friend, "fred's")
    client.post(f"/statuses/{theirs.pk}/pin", {"next": "/home"})
    assert "Only your own posts can be pinned." in html(client.get("/home"))
    assert signed_in(newcomer).post(f"/statuses/{theirs.pk}/pin").status_code == 402
    assert not Pin.objects.exists()


def test_a_member_deletes_their_own_post(member):
    status = post(member)
    client = signed_in(member)
    response = client.post(f"/statuses/{status.pk}/delete", {"next": url(status)})
    assert response.status_code == 302 and response["Location"] == "/home"
    assert not Status.objects.filter(pk=status.pk).exists()
    assert client.get(url(status)).status_code == 404


def test_a_member_cannot_delete_another_members_post(member, friend, staff):
    status = post(friend)
    for account in (member, staff):
        response = signed_in(account).post(f"/statuses/{status.pk}/delete")
        assert response.status_code == 403
        assert "Not allowed" in html(response)
    assert Status.objects.filter(pk=status.pk).exists()


def test_actions_on_unknown_or_malformed_ids_are_404_pages(member):
    client = signed_in(member)
    for path in ("/statuses/123/like", "/statuses/abc/repost", "/statuses/99999999999999999999/delete"):
        response = client.post(path)
        assert response.status_code == 404
        assert "<h1" in html(response)


def test_actions_need_a_post_request(member, friend):
    status = post(friend)
    assert signed_in(member).get(f"/statuses/{status.pk}/like").status_code == 405
    assert signed_in(member).get("/@fred/follow").status_code == 405


def test_an_unsafe_next_is_ignored(member, friend):
    status = post(friend)
    response = signed_in(member).post(f"/statuses/{status.pk}/like", {"next": "https://evil.example/"})
    assert response["Location"] == "/home"


# --- a post and its thread ---------------------------------------------------------


def test_a_post_page_shows_the_thread_and_a_reply_box(member, friend):
    root = post(friend, "the question")
    answer = post(member, "@fred the answer", in_reply_to_id=root.pk)
    follow_up = post(friend, "@mary thanks", in_reply_to_id=answer.pk)
    text = html(signed_in(member).get(url(answer))).partition("<main")[2]
    assert text.index("the question") < text.index("the answer") < text.index("thanks")
    assert f'name="in_reply_to_id" value="{answer.pk}"' in text
    assert "@fred " in text  # the reply box starts with the people in the thread
    assert follow_up.pk


def test_replying_from_the_post_page(member, friend):
    root = post(friend, "the question")
    response = signed_in(member).post(
        "/statuses/new", {"status": "@fred an answer", "in_reply_to_id": root.pk, "next": url(root)}
    )
    assert response["Location"] == url(root)
    reply = Status.objects.get(account=member)
    assert reply.in_reply_to_id == root.pk
    assert "an answer" in html(signed_in(member).get(url(root)))


def test_a_visitor_reads_a_public_post_but_not_a_private_one(client, member, friend):
    public, private = post(member, "for all"), post(member, "for followers", visibility="private")
    response = client.get(url(public))
    assert response.status_code == 200 and "for all" in html(response)
    assert "Sign in to like, repost and reply" in html(response)
    assert client.get(url(private)).status_code == 404
    assert signed_in(friend).get(url(private)).status_code == 404
    assert signed_in(member).get(url(private)).status_code == 200
    graph.follow(friend, member, now=NOW)
    assert signed_in(friend).get(url(private)).status_code == 200


def test_nobody_else_sees_a_direct_post_and_staff_gets_no_exception(member, friend, staff, outsider):
    direct = post(member, "@fred a secret", visibility="direct")
    assert signed_in(friend).get(url(direct)).status_code == 200
    for account in (staff, outsider):
        assert signed_in(account).get(url(direct)).status_code == 404
    assert "a secret" not in html(signed_in(outsider).get("/@mary"))


def test_a_hidden_reply_is_left_out_of_the_thread(member, friend, outsider):
    root = post(member, "root")
    post(friend, "@mary private aside", in_reply_to_id=root.pk, visibility="private")
    assert "private aside" not in html(signed_in(outsider).get(url(root)))


def test_unknown_posts_and_wrong_authors_are_404(client, member, friend):
    status = post(member)
    assert client.get("/@mary/123").status_code == 404
    assert client.get("/@mary/notanumber").status_code == 404
    assert client.get(f"/@fred/{status.pk}").status_code == 404
    assert client.get("/@nobody").status_code == 404


def test_the_post_page_is_a_fixed_number_of_queries(client, member, friend, django_assert_max_num_queries):
    root = post(member, "root")
    parent = root
    for n in range(10):
        parent = post(friend if n % 2 else member, f"reply {n}", in_reply_to_id=parent.pk)
    client = signed_in(member)
    with django_assert_max_num_queries(9):
        response = client.get(url(root))
    assert html(response).count("<article") == 11


# --- profiles and the social graph ----------------------------------------------------


def test_a_visitor_reads_a_profile_and_its_public_posts(client, member):
    member.display_name, member.note = "Mary M.", "Knits & <b>reads</b>"
    member.save()
    post(member, "public words")
    post(member, "followers words", visibility="private")
    text = html(client.get("/@mary"))
    assert "Mary M." in text and "Knits &amp; &lt;b&gt;reads&lt;/b&gt;" in text
    assert "public words" in text and "followers words" not in text
    assert "Sign in to follow" in text
    assert 'href="/@mary/followers"' in text and 'href="/@mary/following"' in text


def test_usernames_in_profile_urls_are_case_insensitive(client, member):
    assert client.get("/@MARY").status_code == 200


def test_following_from_a_profile(member, friend):
    client = signed_in(member)
    assert 'aria-label="Follow @fred"' in html(client.get("/@fred"))
    response = client.post("/@fred/follow", {"next": "/@fred"})
    assert response.status_code == 302
    assert Follow.objects.filter(follower=member, target=friend).exists()
    text = html(client.get("/@fred"))
    assert "You follow @fred." in text and 'aria-label="Unfollow @fred"' in text
    response = client.post("/@fred/unfollow", headers=FRAGMENT)
    assert 'aria-label="Follow @fred"' in html(response) and "You no longer follow @fred." in html(response)
    assert not Follow.objects.exists()


def test_an_unpaid_member_cannot_follow_and_is_told_why(newcomer, member):
    client = signed_in(newcomer)
    text = html(client.get("/@mary"))
    assert "Pay to follow" in text and 'aria-label="Follow @mary"' not in text
    response = client.post("/@mary/follow")
    assert response.status_code == 402
    assert "Your account is read-only" in html(response)
    assert not Follow.objects.exists()


def test_an_unpaid_member_can_still_block_and_mute(newcomer, member):
    client = signed_in(newcomer)
    client.post("/@mary/mute")
    client.post("/@mary/block")
    assert Mute.objects.filter(account=newcomer, target=member).exists()
    assert Block.objects.filter(account=newcomer, target=member).exists()
    client.post("/@mary/unblock")
    client.post("/@mary/unmute")
    assert not Block.objects.exists() and not Mute.objects.exists()


def test_following_yourself_is_refused_with_a_message(member):
    client = signed_in(member)
    response = client.post("/@mary/follow", {"next": "/@mary"})
    assert response.status_code == 302
    assert "You cannot follow yourself." in html(client.get("/@mary"))


def test_a_blocked_member_sees_no_posts_and_cannot_follow(member, friend):
    post(member, "not for fred")
    graph.block(member, friend)
    client = signed_in(friend)
    assert "not for fred" not in html(client.get("/@mary"))
    response = client.post("/@mary/follow")
    assert response.status_code == 403
    assert client.get("/@mary/followers").status_code == 200


def test_followers_and_following_lists(client, member, friend, django_assert_max_num_queries):
    others = [make_account(f"fan{n}", paid=True) for n in range(6)]
    for other in others:
        graph.follow(other, member, now=NOW)
    graph.follow(member, friend, now=NOW)
    with django_assert_max_num_queries(3):
        text = html(client.get("/@mary/followers"))
    assert all(f"@fan{n}" in text for n in range(6))
    assert "@fred" in html(client.get("/@mary/following"))
    assert client.get("/@nobody/followers").status_code == 404


def test_the_profile_page_is_a_fixed_number_of_queries(member, friend, django_assert_max_num_queries):
    for n in range(20):
        status = post(friend, f"post {n}")
        if n % 4 == 0:
            services.reblog(friend, post(member, f"mine {n}").pk, now=NOW)
        services.favourite(member, status.pk, now=NOW)
    client = signed_in(member)
    # One of them is the pinned posts, with as many pins as Mastodon allows.
    with django_assert_max_num_queries(10):
        response = client.get("/@fred")
    assert html(response).count("<article") == 20
    for row in Status.objects.filter(account=friend, reblog_of=None)[:MAX_PINS]:
        pins.pin(friend, row.pk, now=NOW)
    with django_assert_max_num_queries(10):
        response = client.get("/@fred")
    assert html(response).count("<article") == 20 + MAX_PINS


# --- hashtags and search -------------------------------------------------------------


def test_a_hashtag_page_lists_public_tagged_posts(client, member, friend):
    post(member, "I like #Cats")
    post(member, "secret #cats", visibility="private")
    post(friend, "no tag here")
    text = html(client.get("/tags/cats"))
    assert "<h1>#cats</h1>" in text
    assert "I like" in text and "secret" not in text and "no tag here" not in text
    assert client.get("/tags/nothing").status_code == 200


def test_hashtag_links_in_posts_lead_to_the_hashtag_page(client, member):
    status = post(member, "hello #world and @mary")
    assert 'href="http://127.0.0.1:8000/tags/world"' in status.content
    assert client.get("/tags/world").status_code == 200
    assert client.get("/@mary").status_code == 200


def test_the_hashtag_page_is_a_fixed_number_of_queries(client, member, friend, django_assert_max_num_queries):
    for n in range(20):
        post(member if n % 2 else friend, f"#cats number {n}")
    with django_assert_max_num_queries(3):
        response = client.get("/tags/cats")
    assert html(response).count("<article") == 20
    client = signed_in(member)
    with django_assert_max_num_queries(7):
        client.get("/tags/cats")


def test_search_finds_people_hashtags_and_posts(member, friend):
    post(friend, "Knitting is fun #knitting")
    text = html(signed_in(member).get("/search", {"q": "knit"}))
    assert "#knitting" in text and "Knitting is fun" in text
    text = html(signed_in(member).get("/search", {"q": "fre"}))
    assert "@fred" in text


def test_a_visitor_searches_people_and_hashtags_but_not_posts(client, member):
    post(member, "mary's post #marmalade")
    text = html(client.get("/search", {"q": "mar"}))
    assert "@mary" in text and "#marmalade" in text and "mary&#x27;s post" not in text
    assert "to search posts" in text


def test_search_refuses_an_over_long_query_and_accepts_an_empty_one(client):
    assert client.get("/search", {"q": "x" * 501}).status_code == 400
    assert client.get("/search").status_code == 200
    assert client.get("/search", {"q": "@someone@elsewhere.example"}).status_code == 200


def test_search_does_not_show_what_the_searcher_may_not_see(member, friend, outsider):
    post(member, "hidden treasure", visibility="private")
    assert "hidden treasure" not in html(signed_in(outsider).get("/search", {"q": "treasure"}))


def test_search_is_a_fixed_number_of_queries(member, friend, django_assert_max_num_queries):
    for n in range(20):
        post(friend, f"apples {n} #apples")
    client = signed_in(member)
    with django_assert_max_num_queries(10):
        response = client.get("/search", {"q": "apples"})
    assert html(response).count("<article") == 20


# --- notifications ------------------------------------------------------------------


def test_notifications_list_follows_likes_reposts_and_mentions_and_mark_them_read(member, friend):
    status = post(member, "notable")
    graph.follow(friend, member, now=NOW)
    services.favourite(friend, status.pk, now=NOW)
    services.reblog(friend, status.pk, now=NOW)
    post(friend, "hey @mary")
    client = signed_in(member)
    assert '<span class="badge">4<span class="visually-hidden"> unread</span>' in html(client.get("/home"))
    text = html(client.get("/notifications"))
    for phrase in ("followed you", "liked your post", "reposted your post", "mentioned you"):
        assert phrase in text
    assert f'href="{url(status)}"' in text
    marker = Marker.objects.get(account=member, timeline="notifications")
    assert marker.last_read_id == Notification.objects.filter(recipient=member).latest("id").pk
    assert 'class="badge"' not in html(client.get("/home"))


def test_notifications_are_only_the_members_own(member, friend, outsider):
    graph.follow(friend, member, now=NOW)
    text = html(signed_in(outsider).get("/notifications"))
    assert "followed you" not in text and "No notifications yet" in text


def test_the_notifications_page_is_a_fixed_number_of_queries(member, django_assert_max_num_queries):
    status = post(member, "popular")
    for n in range(15):
        fan = make_account(f"fan{n}", paid=True)
        graph.follow(fan, member, now=NOW)
        services.favourite(fan, status.pk, now=NOW)
    client = signed_in(member)
    # Session, account, the page, moving the marker (an update, then creating it the first time) and
    # the unread count in the navigation.
    with django_assert_max_num_queries(11):
        response = client.get("/notifications")
    assert html(response).count("<article") == 30


# --- details ----------------------------------------------------------------------------


def test_times_are_shown_relative_to_now():
    from datetime import timedelta

    assert ago(NOW - timedelta(seconds=5), NOW) == "now"
    assert ago(NOW - timedelta(minutes=5), NOW) == "5m"
    assert ago(NOW - timedelta(hours=3), NOW) == "3h"
    assert ago(NOW - timedelta(days=2), NOW) == "2d"
    assert ago(NOW - timedelta(days=20), NOW) == "Oct 12"
    assert ago(NOW - timedelta(days=400), NOW) == "Sep 27, 2025"


def test_the_navigation_has_a_skip_link_and_the_members_pages(member, client):
    text = html(signed_in(member).get("/home"))
    assert 'class="skip-link" href="#main"' in text
    for label in ("Home", "Notifications", "Search", "Profile", "Settings", "Sign out @mary"):
        assert label in text
    assert 'aria-current="page">Home' in text
    text = html(client.get("/tags/x"))
    assert "Sign in" in text and "Sign up" in text


@pytest.mark.parametrize("who", ["visitor", "newcomer", "member", "friend", "staff"])
def test_every_page_answers_each_kind_of_reader_without_an_error(who, request, member):
    status = post(member, "hello #everyone")
    client = Client() if who == "visitor" else signed_in(request.getfixturevalue(who))
    public = ["/", url(status), "/@mary", "/@mary/followers", "/@mary/following", "/tags/everyone"]
    public += ["/search?q=hello", "/search"]
    for path in public:
        response = client.get(path)
        expected = 302 if path == "/" and who != "visitor" else 200
        assert response.status_code == expected, path
    for path in ("/home", "/notifications"):
        assert client.get(path).status_code == (302 if who == "visitor" else 200), path


def test_a_lapsed_member_reads_home_with_the_reason_and_cannot_write(member, friend):
    from obole.membership.models import Membership

    status = post(friend, "still readable")
    graph.follow(member, friend, now=NOW)
    Membership.objects.filter(pk=member.pk).update(state="lapsed")
    client = signed_in(member)
    text = html(client.get("/home"))
    assert "Your membership lapsed after failed payments. Pay again to keep posting." in text
    assert "still readable" in text and "Pay to like, repost and reply" in text
    assert client.post(f"/statuses/{status.pk}/like").status_code == 402
    assert client.post("/statuses/new", {"status": "hi"}).status_code == 402
    # Deleting one's own post and unfollowing never need a membership.
    assert client.post("/@fred/unfollow").status_code == 302
    assert not Follow.objects.filter(follower=member).exists()


def test_a_staff_account_made_without_a_membership_reads_and_is_told_it_cannot_write(member):
    from obole.accounts.models import Account

    admin = Account.objects.create_superuser("root_admin", "admin@example.org", "x")
    status = post(member, "hello staff")
    client = signed_in(admin)
    assert "Your account is read-only until your membership is paid." in html(client.get("/home"))
    assert client.get(url(status)).status_code == 200
    for path in (
        "/statuses/new",
        f"/statuses/{status.pk}/like",
        f"/statuses/{status.pk}/repost",
        "/@mary/follow",
    ):
        assert client.post(path, {"status": "hi"}).status_code == 402, path
