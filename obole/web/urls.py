from django.contrib.auth import views as auth_views
from django.urls import path, re_path

from obole.web import (
    payment_views,
    poll_views,
    profile_views,
    settings_views,
    status_views,
    timeline_views,
    views,
)

urlpatterns = [
    path("", views.landing, name="landing"),
    path("auth/sign_up", views.sign_up, name="sign-up"),
    path("auth/sign_in", views.SignInView.as_view(), name="login"),
    path("auth/sign_out", auth_views.LogoutView.as_view(), name="logout"),
    path("auth/confirm/<str:token>", views.confirm_email, name="confirm-email"),
    path("auth/confirm_again", views.resend_confirmation, name="confirm-again"),
    path("membership", views.membership, name="membership"),
    path("membership/cancel", views.cancel, name="membership-cancel"),
    path("membership/resume", views.resume, name="membership-resume"),
    path("membership/setup_intent", payment_views.setup_intent, name="membership-setup-intent"),
    path("membership/confirm/<int:invoice_id>", payment_views.confirm, name="membership-confirm"),
    path("settings", settings_views.index, name="settings"),
    path("settings/profile", settings_views.profile, name="settings-profile"),
    path("settings/password", settings_views.password, name="settings-password"),
    path("settings/membership", settings_views.membership, name="settings-membership"),
    path("settings/export", settings_views.export_data, name="settings-export"),
    path("settings/delete", settings_views.delete_account, name="settings-delete"),
    path("auth/goodbye", settings_views.goodbye, name="account-deleted"),
    # The social pages; post content links to /@user and /tags/name (OBOLE_BASE_URL), which land here.
    path("home", timeline_views.home, name="home"),
    path("notifications", timeline_views.notifications, name="notifications"),
    path("search", timeline_views.search, name="search"),
    path("tags/<str:name>", timeline_views.tag, name="tag"),
    path("statuses/new", status_views.compose, name="compose"),
    path("polls/<str:poll_id>/votes", poll_views.vote, name="poll-vote"),
    re_path(
        r"^statuses/(?P<status_id>[^/]+)/(?P<action>like|unlike|repost|unrepost|pin|unpin|delete)$",
        status_views.act,
        name="status-action",
    ),
    path("@<str:username>", profile_views.profile, name="profile"),
    path("@<str:username>/followers", profile_views.followers, name="followers"),
    path("@<str:username>/following", profile_views.following, name="following"),
    re_path(
        r"^@(?P<username>[^/]+)/(?P<action>follow|unfollow|block|unblock|mute|unmute)$",
        profile_views.act,
        name="account-action",
    ),
    path("@<str:username>/<str:status_id>", status_views.detail, name="status"),
]
