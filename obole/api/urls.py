from django.urls import path, re_path

from obole.api import instance, membership, oauth, startup, webhooks
from obole.api import statuses
from obole.api import notifications, search, timelines

urlpatterns = [
    path("api/obole/v1/membership", membership.show, name="api-membership"),
    path("api/obole/v1/membership/payment_method", membership.payment_method),
    path("api/obole/v1/membership/cancel", membership.cancel),
    path("api/obole/v1/membership/resume", membership.resume),
    path("api/obole/v1/membership/ledger", membership.ledger),
    path("api/obole/v1/webhooks/<slug:provider>", webhooks.receive),
]

# Mastodon's start-up endpoints and OAuth discovery. Apps call some with a trailing slash.
urlpatterns += [
    path("api/v1/apps", oauth.create_app, name="api-apps"),
    path("api/v1/apps/verify_credentials", oauth.verify_app),
    path(".well-known/oauth-authorization-server", oauth.server_metadata),
    re_path(r"^api/v1/instance/?$", instance.v1),
    re_path(r"^api/v2/instance/?$", instance.v2),
    path("api/v1/instance/rules", instance.instance_rules),
    path(".well-known/nodeinfo", instance.nodeinfo_links),
    path("nodeinfo/2.0", instance.nodeinfo, name="nodeinfo"),
    path("api/v1/custom_emojis", startup.custom_emojis),
    path("api/v1/preferences", startup.preferences),
    path("api/v1/markers", startup.markers),
    re_path(r"^api/v[12]/filters$", startup.filters),
    path("api/v1/followed_tags", startup.followed_tags),
    path("api/v1/lists", startup.lists),
    path("api/v1/announcements", startup.announcements),
    re_path(r"^api/v1/trends(?:/tags|/statuses|/links)?$", startup.trends),
]

# Statuses: posting, threads, likes, reposts and bookmarks (obole/api/statuses.py).
urlpatterns += [
    path("api/v1/statuses", statuses.collection),
    path("api/v1/statuses/<str:status_id>", statuses.detail),
    path("api/v1/statuses/<str:status_id>/context", statuses.context),
    path("api/v1/statuses/<str:status_id>/source", statuses.source),
    path("api/v1/statuses/<str:status_id>/favourite", statuses.favourite),
    path("api/v1/statuses/<str:status_id>/unfavourite", statuses.unfavourite),
    path("api/v1/statuses/<str:status_id>/reblog", statuses.reblog),
    path("api/v1/statuses/<str:status_id>/unreblog", statuses.unreblog),
    path("api/v1/statuses/<str:status_id>/bookmark", statuses.bookmark),
    path("api/v1/statuses/<str:status_id>/unbookmark", statuses.unbookmark),
    path("api/v1/statuses/<str:status_id>/pin", statuses.pin),
    path("api/v1/statuses/<str:status_id>/unpin", statuses.pin),
    path("api/v1/statuses/<str:status_id>/mute", statuses.mute),
    path("api/v1/statuses/<str:status_id>/unmute", statuses.mute),
    path("api/v1/statuses/<str:status_id>/favourited_by", statuses.favourited_by),
    path("api/v1/statuses/<str:status_id>/reblogged_by", statuses.reblogged_by),
    path("api/v1/bookmarks", statuses.bookmarks),
    path("api/v1/favourites", statuses.favourites),
]

# Timelines, notifications, search and hashtags (timelines.py, notifications.py, search.py).
urlpatterns += [
    path("api/v1/timelines/home", timelines.home),
    path("api/v1/timelines/public", timelines.public),
    path("api/v1/timelines/tag/<str:hashtag>", timelines.tag),
    path("api/v1/timelines/list/<str:list_id>", timelines.list_timeline),
    path("api/v1/conversations", timelines.conversations),
    path("api/v1/notifications", notifications.index),
    path("api/v1/notifications/clear", notifications.clear),
    path("api/v1/notifications/unread_count", notifications.unread_count),
    path("api/v1/notifications/<str:notification_id>", notifications.show),
    path("api/v1/notifications/<str:notification_id>/dismiss", notifications.dismiss),
    path("api/v2/search", search.search),
    path("api/v1/tags/<str:name>", search.show_tag),
    path("api/v1/tags/<str:name>/follow", search.follow_tag),
    path("api/v1/tags/<str:name>/unfollow", search.unfollow_tag),
]
