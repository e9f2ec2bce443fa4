"""The Mastodon notifications API: list and filter, show, dismiss, clear, unread count.

`mary` (member) pays and receives; `paul` pays and acts on her; `oscar`
(outsider) and `nina` (newcomer) have not paid.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from obole.accounts import graph
from obole.api.models import Marker
from obole.posts import services
from obole.posts.models import Notification
from tests.conftest import NOW, Api, assert_error, make_account
from tests.schema import assert_entity

pytestmark = pytest.mark.django_db

NOTIFICATIONS = "/api/v1/notifications"


@pytest.fixture
def paul(db):
    return make_account("paul", paid=True)


@pytest.fixture
def busy(member, paul) -> dict[str, Notification]:
    """Paul follows mary, mentions her, likes and reposts her post: one notification of each type."""
    graph.follow(paul, member, now=NOW)
    services.post_status(paul, "hello @mary", now=NOW)
    status = services.post_status(member, "my post", now=NOW)
    services.favourite(paul, status.pk, now=NOW)
    services.reblog(paul, status.pk, now=NOW)
    return {row.type: row for row in Notification.objects.filter(recipient=member)}


def types(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [entity["type"] for entity in response.json()]


def test_every_kind_of_notification_the_services_make_is_listed_newest_first(member, busy, api_as):
    response = api_as(member).get(NOTIFICATIONS)
    assert types(response) == ["reblog", "favourite", "mention", "follow"]
    body = response.json()
    for entity in body:
        assert_entity("Notification", entity)
        assert entity["account"]["username"] == "paul"
        assert entity["group_key"] == f"ungrouped-{entity['id']}"
    assert "status" not in body[3]
    assert body[2]["status"]["content"].startswith("<p>hello")
    assert body[0]["status"]["id"] == body[1]["status"]["id"] == str(busy["reblog"].status_id)


def test_notifications_are_filtered_by_types_and_exclude_types(member, busy, api_as):
    api = api_as(member)
    assert types(api.get(NOTIFICATIONS, **{"types[]": ["mention", "follow"]})) == ["mention", "follow"]
    assert types(api.get(NOTIFICATIONS, types="favourite")) == ["favourite"]
    assert types(api.get(NOTIFICATIONS, **{"exclude_types[]": ["reblog", "favourite"]})) == [
        "mention",
        "follow",
    ]
    assert types(
        api.get(NOTIFICATIONS, **{"types[]": ["mention", "follow"], "exclude_types[]": ["follow"]})
    ) == ["mention"]
    # Unknown types are ignored, as Mastodon does: asking only for them finds nothing.
    assert types(api.get(NOTIFICATIONS, **{"types[]": ["poll"]})) == []
    assert len(types(api.get(NOTIFICATIONS, **{"exclude_types[]": ["bogus"]}))) == 4


def test_notifications_are_filtered_by_the_account_that_acted(member, busy, api_as):
    quinn = make_account("quinn", paid=True)
    graph.follow(quinn, member, now=NOW)
    api = api_as(member)
    assert types(api.get(NOTIFICATIONS, account_id=str(quinn.pk))) == ["follow"]
    assert len(types(api.get(NOTIFICATIONS, account_id=busy["follow"].from_account_id))) == 4
    assert types(api.get(NOTIFICATIONS, account_id="12345")) == []
    assert_error(api.get(NOTIFICATIONS, account_id="paul"), 400, "account_id")


def test_notifications_from_accounts_one_has_since_blocked_or_muted_are_left_out(member, paul, busy, api_as):
    quinn = make_account("quinn", paid=True)
    rita = make_account("rita", paid=True)
    graph.follow(quinn, member, now=NOW)
    graph.follow(rita, member, now=NOW)
    api = api_as(member)
    assert len(types(api.get(NOTIFICATIONS))) == 6
    graph.mute(member, paul)
    graph.mute(member, quinn, notifications=False)  # hides posts, keeps notifications
    graph.block(rita, member)
    response = api.get(NOTIFICATIONS)
    assert [entity["account"]["username"] for entity in response.json()] == ["quinn"]
    assert api.get(NOTIFICATIONS + "/unread_count").json() == {"count": 1}
    graph.unmute(member, paul)
    assert len(types(api.get(NOTIFICATIONS))) == 5


def test_a_member_sees_one_of_her_notifications(member, busy, api_as):
    mention = busy["mention"]
    response = api_as(member).get(f"{NOTIFICATIONS}/{mention.pk}")
    assert response.status_code == 200
    assert response.json()["id"] == str(mention.pk)
    assert response.json()["type"] == "mention"
    assert_entity("Notification", response.json())


def test_an_outsider_cannot_see_or_dismiss_another_members_notification(member, busy, outsider, api_as):
    mention = busy["mention"]
    api = api_as(outsider)
    assert_error(api.get(f"{NOTIFICATIONS}/{mention.pk}"), 404, "Record not found")
    assert_error(api.post(f"{NOTIFICATIONS}/{mention.pk}/dismiss"), 404, "Record not found")
    assert types(api.get(NOTIFICATIONS)) == []
    api.post(f"{NOTIFICATIONS}/clear")
    assert Notification.objects.filter(pk=mention.pk).exists()


def test_unknown_or_malformed_notification_ids_are_not_found(member, busy, api_as):
    api = api_as(member)
    for bad in ("12345", "abc", "99999999999999999999999"):
        assert_error(api.get(f"{NOTIFICATIONS}/{bad}"), 404, "Record not found")
        assert_error(api.post(f"{NOTIFICATIONS}/{bad}/dismiss"), 404, "Record not found")


def test_dismissing_removes_one_notification(member, busy, api_as):
    api = api_as(member)
    response = api.post(f"{NOTIFICATIONS}/{busy['follow'].pk}/dismiss")
    assert response.status_code == 200
    assert response.json() == {}
    assert types(api.get(NOTIFICATIONS)) == ["reblog", "favourite", "mention"]


def test_clearing_removes_them_all(member, busy, api_as):
    api = api_as(member)
    response = api.post(f"{NOTIFICATIONS}/clear")
    assert (response.status_code, response.json()) == (200, {})
    assert types(api.get(NOTIFICATIONS)) == []


def test_an_unpaid_member_may_dismiss_and_clear_her_own_notifications(newcomer, member, api_as):
    services.post_status(member, "hello @nina", now=NOW)
    services.post_status(member, "again @nina", now=NOW)
    first, second = Notification.objects.filter(recipient=newcomer).order_by("id")
    api = api_as(newcomer)
    assert api.post(f"{NOTIFICATIONS}/{first.pk}/dismiss").status_code == 200
    assert types(api.get(NOTIFICATIONS)) == ["mention"]
    assert api.post(f"{NOTIFICATIONS}/clear").status_code == 200
    assert not Notification.objects.filter(recipient=newcomer).exists()


def test_notifications_need_a_token_with_the_notifications_scopes(member, busy, api_as):
    anonymous = Api(None)
    assert_error(anonymous.get(NOTIFICATIONS), 401)
    assert_error(anonymous.get(f"{NOTIFICATIONS}/{busy['follow'].pk}"), 401)
    assert_error(anonymous.post(f"{NOTIFICATIONS}/clear"), 401)
    assert_error(anonymous.get(f"{NOTIFICATIONS}/unread_count"), 401)
    reader = api_as(member, "read:notifications")
    assert reader.get(NOTIFICATIONS).status_code == 200
    assert_error(reader.post(f"{NOTIFICATIONS}/clear"), 403, "scope")
    assert_error(reader.post(f"{NOTIFICATIONS}/{busy['follow'].pk}/dismiss"), 403, "scope")
    assert_error(api_as(member, "read:statuses").get(NOTIFICATIONS), 403, "scope")
    assert api_as(member, "write:notifications").post(f"{NOTIFICATIONS}/clear").status_code == 200


def test_notifications_page_with_a_link_header_that_keeps_the_filters(member, api_as):
    followers = [make_account(f"fan{n}", paid=True) for n in range(5)]
    for fan in followers:
        graph.follow(fan, member, now=NOW)
    api = api_as(member)
    response = api.get(NOTIFICATIONS, limit=2, **{"types[]": ["follow", "mention"]})
    page = [entity["account"]["username"] for entity in response.json()]
    assert page == ["fan4", "fan3"]
    link = response["Link"]
    assert "types%5B%5D=follow&types%5B%5D=mention" in link
    oldest = response.json()[-1]["id"]
    assert f"max_id={oldest}" in link
    following = api.get(NOTIFICATIONS, limit=2, max_id=oldest, **{"types[]": ["follow", "mention"]})
    assert [entity["account"]["username"] for entity in following.json()] == ["fan2", "fan1"]
    since = api.get(NOTIFICATIONS, min_id=response.json()[-1]["id"])
    assert [entity["account"]["username"] for entity in since.json()] == ["fan4"]


def test_a_notifications_page_holds_forty_by_default_and_eighty_at_most(member, api_as):
    fan = make_account("fan", paid=True)
    status = services.post_status(member, "popular", now=NOW)
    Notification.objects.bulk_create(
        Notification(recipient=member, from_account=fan, type="favourite", status=status, created_at=NOW)
        for _ in range(90)
    )
    api = api_as(member)
    assert len(types(api.get(NOTIFICATIONS))) == 40
    assert len(types(api.get(NOTIFICATIONS, limit=500))) == 80


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"max_id": "abc"}, ["max_id"]),
        ({"since_id": "1e3"}, ["since_id"]),
        ({"limit": "abc"}, ["limit"]),
        ({"account_id": "x"}, ["account_id"]),
    ],
)
def test_malformed_parameters_are_refused(member, api_as, params, words):
    assert_error(api_as(member).get(NOTIFICATIONS, **params), 400, *words)
    assert_error(api_as(member).get(f"{NOTIFICATIONS}/unread_count", **params), 400, *words)


def test_a_malformed_json_body_is_refused(member, api_as):
    api = api_as(member)
    response = api.post(f"{NOTIFICATIONS}/clear", "{oops", json=True)
    assert_error(response, 400, "JSON")


def test_the_unread_count_counts_past_the_notifications_marker(member, busy, api_as):
    api = api_as(member)
    assert api.get(f"{NOTIFICATIONS}/unread_count").json() == {"count": 4}
    Marker.objects.create(
        account=member, timeline="notifications", last_read_id=busy["mention"].pk, updated_at=NOW
    )
    assert api.get(f"{NOTIFICATIONS}/unread_count").json() == {"count": 2}
    assert api.get(f"{NOTIFICATIONS}/unread_count", limit=1).json() == {"count": 1}
    assert api.get(f"{NOTIFICATIONS}/unread_count", **{"types[]": ["reblog"]}).json() == {"count": 1}


def test_the_unread_count_stops_at_its_limit(member, api_as):
    fan = make_account("fan", paid=True)
    Notification.objects.bulk_create(
        Notification(recipient=member, from_account=fan, type="follow", created_at=NOW - timedelta(minutes=n))
        for n in range(120)
    )
    api = api_as(member)
    assert api.get(f"{NOTIFICATIONS}/unread_count").json() == {"count": 100}
    assert api.get(f"{NOTIFICATIONS}/unread_count", limit=5000).json() == {"count": 120}


def test_the_home_marker_does_not_change_the_unread_count(member, busy, api_as):
    Marker.objects.create(account=member, timeline="home", last_read_id=busy["reblog"].pk, updated_at=NOW)
    assert api_as(member).get(f"{NOTIFICATIONS}/unread_count").json() == {"count": 4}


def test_a_notifications_page_costs_three_queries_whatever_its_size(
    member, api_as, django_assert_max_num_queries
):
    for n in range(6):
        fan = make_account(f"fan{n}", paid=True)
        graph.follow(fan, member, now=NOW)
        status = services.post_status(member, f"post {n} for @fan{n}", now=NOW)
        services.favourite(fan, status.pk, now=NOW)
        services.reblog(fan, status.pk, now=NOW)
        services.post_status(fan, f"hi @mary {n}", now=NOW)
    api = api_as(member)
    # The token, the notifications with their accounts and statuses, the viewer's flags and filters.
    with django_assert_max_num_queries(3):
        assert len(types(api.get(NOTIFICATIONS))) == 24
    with django_assert_max_num_queries(3):
        assert len(types(api.get(NOTIFICATIONS, limit=3, **{"exclude_types[]": ["follow"]}))) == 3
    with django_assert_max_num_queries(2):
        assert api.get(f"{NOTIFICATIONS}/unread_count").json() == {"count": 24}
