from django.urls import path, re_path

from obole.api import (
    accounts,
    conversations,
    edits,
    filters,
    instance,
    lists,
    media,
    membership,
    notifications,
    oauth,
    polls,
    relationships,
    search,
    startup,
    statuses,
    streaming,
    timelines,
    unsupported,
    webhooks,
)
from obole.trust import api as trust_api

urlpatterns = [
    path("api/obole/v1/membership", membership.show, name="api-membership"),
    path("api/obole/v1/membership/payment_method", membership.payment_method),
    path("api/obole/v1/membership/cancel", membership.cancel),
    path("api/obole/v1/membership/resume", membership.resume),
    path("api/obole/v1/membership/ledger", membership.ledger),
    path("api/obole/v1/webhooks/<slug:provider>", webhooks.receive),
    path("api/obole/v1/openapi.json", membership.openapi),
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
    path("api/v1/filters", filters.v1_index),
    path("api/v1/filters/<str:keyword_id>", filters.v1_show),
    path("api/v2/filters", filters.collection),
    path("api/v2/filters/keywords/<str:keyword_id>", filters.keyword),
    path("api/v2/filters/statuses/<str:filter_status_id>", filters.status),
    path("api/v2/filters/<str:filter_id>", filters.detail),
    path("api/v2/filters/<str:filter_id>/keywords", filters.keywords),
    path("api/v2/filters/<str:filter_id>/statuses", filters.statuses),
    path("api/v1/followed_tags", search.followed_tags),
    path("api/v1/announcements", startup.announcements),
    re_path(r"^api/v1/trends(?:/tags|/statuses|/links)?$", startup.trends),
]

# Statuses: posting, threads, likes, reposts and bookmarks (obole/api/statuses.py).
urlpatterns += [
    path("api/v1/statuses", statuses.collection),
    path("api/v1/statuses/<str:status_id>", statuses.detail),
    path("api/v1/statuses/<str:status_id>/context", statuses.context),
    path("api/v1/statuses/<str:status_id>/source", statuses.source),
    path("api/v1/statuses/<str:status_id>/history", edits.history),
    path("api/v1/statuses/<str:status_id>/favourite", statuses.favourite),
    path("api/v1/statuses/<str:status_id>/unfavourite", statuses.unfavourite),
    path("api/v1/statuses/<str:status_id>/reblog", statuses.reblog),
    path("api/v1/statuses/<str:status_id>/unreblog", statuses.unreblog),
    path("api/v1/statuses/<str:status_id>/bookmark", statuses.bookmark),
    path("api/v1/statuses/<str:status_id>/unbookmark", statuses.unbookmark),
    path("api/v1/statuses/<str:status_id>/pin", statuses.pin),
    path("api/v1/statuses/<str:status_id>/unpin", statuses.unpin),
    path("api/v1/statuses/<str:status_id>/mute", statuses.mute),
    path("api/v1/statuses/<str:status_id>/unmute", statuses.mute),
    path("api/v1/statuses/<str:status_id>/favourited_by", statuses.favourited_by),
    path("api/v1/statuses/<str:status_id>/reblogged_by", statuses.reblogged_by),
    path("api/v1/bookmarks", statuses.bookmarks),
    path("api/v1/favourites", statuses.favourites),
]

# Media attachments (obole/api/media.py).
urlpatterns += [
    re_path(r"^api/v[12]/media$", media.upload),
    path("api/v1/media/<str:media_id>", media.detail),
]

# Polls (obole/api/polls.py).
urlpatterns += [
    path("api/v1/polls/<str:poll_id>", polls.show),
    path("api/v1/polls/<str:poll_id>/votes", polls.votes),
]

# Timelines, notifications, search and hashtags (timelines.py, notifications.py, search.py).
urlpatterns += [
    path("api/v1/timelines/home", timelines.home),
    path("api/v1/timelines/public", timelines.public),
    path("api/v1/timelines/tag/<str:hashtag>", timelines.tag),
    path("api/v1/timelines/list/<str:list_id>", lists.timeline),
    path("api/v1/conversations", conversations.index),
    path("api/v1/conversations/<str:conversation_id>", conversations.detail),
    path("api/v1/conversations/<str:conversation_id>/read", conversations.read),
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

# Lists (obole/api/lists.py).
urlpatterns += [
    path("api/v1/lists", lists.collection),
    path("api/v1/lists/<str:list_id>", lists.detail),
    path("api/v1/lists/<str:list_id>/accounts", lists.accounts),
]

# Accounts and the social graph (obole/api/accounts.py, obole/api/relationships.py).
# The named paths come before accounts/<id>, which would otherwise take them as ids.
urlpatterns += [
    path("api/v1/accounts", accounts.collection),
    path("api/v1/accounts/verify_credentials", accounts.verify_credentials),
    path("api/v1/accounts/update_credentials", accounts.update_credentials),
    path("api/v1/accounts/lookup", accounts.lookup),
    path("api/v1/accounts/search", accounts.search),
    path("api/v1/accounts/relationships", relationships.relationships),
    path("api/v1/accounts/familiar_followers", relationships.familiar_followers),
    path("api/v1/accounts/<str:account_id>", accounts.show),
    path("api/v1/accounts/<str:account_id>/statuses", accounts.statuses),
    path("api/v1/accounts/<str:account_id>/followers", accounts.followers),
    path("api/v1/accounts/<str:account_id>/following", accounts.following),
    path("api/v1/accounts/<str:account_id>/lists", lists.of_account),
    path("api/v1/accounts/<str:account_id>/follow", relationships.follow),
    path("api/v1/accounts/<str:account_id>/unfollow", relationships.unfollow),
    path("api/v1/accounts/<str:account_id>/block", relationships.block),
    path("api/v1/accounts/<str:account_id>/unblock", relationships.unblock),
    path("api/v1/accounts/<str:account_id>/mute", relationships.mute),
    path("api/v1/accounts/<str:account_id>/unmute", relationships.unmute),
    path("api/v1/blocks", relationships.blocks),
    path("api/v1/mutes", relationships.mutes),
    path("api/v1/follow_requests", relationships.follow_requests),
]

# Reports and Mastodon's moderation (admin) API: obole/trust/api.py.
urlpatterns += [
    re_path(r"^api/v1/reports/?$", trust_api.create_report),  # Mastodon.py posts to "reports/"
    path("api/v1/admin/reports", trust_api.admin_reports),
    path("api/v1/admin/reports/<str:report_id>", trust_api.admin_report_show),
    re_path(
        r"^api/v1/admin/reports/(?P<report_id>[^/]+)/(?P<action>assign_to_self|unassign|resolve|reopen)$",
        trust_api.admin_report_act,
    ),
    re_path(r"^api/v[12]/admin/accounts$", trust_api.admin_accounts),
    path("api/v1/admin/accounts/<str:account_id>", trust_api.admin_account_show),
    path("api/v1/admin/accounts/<str:account_id>/action", trust_api.admin_account_action),
    re_path(
        r"^api/v1/admin/accounts/(?P<account_id>[^/]+)/(?P<action>unsuspend|unsilence|unsensitive|enable)$",
        trust_api.admin_account_undo,
    ),
]

# Streaming is served by the streaming server (obole.streaming); the web port redirects there.
urlpatterns += [re_path(r"^api/v1/streaming(?:/.*)?$", streaming.redirect)]

# Last: the rest of Mastodon's API answers 422 "... is not supported" (obole/api/unsupported.py).
urlpatterns += [re_path(r"^api/", unsupported.view)]
