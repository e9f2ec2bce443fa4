from django.contrib import admin
from django.urls import include, path

from obole.api import oauth
from obole.media import views as media_views

urlpatterns = [
    path("admin/", admin.site.urls),
    # Mastodon's OAuth paths (no trailing slash), django-oauth-toolkit's views wrapped for Mastodon apps.
    path("oauth/authorize", oauth.AuthorizeView.as_view(), name="oauth-authorize"),
    path("oauth/token", oauth.token, name="oauth-token"),
    path("oauth/revoke", oauth.revoke, name="oauth-revoke"),
    path("media/<path:name>", media_views.serve, name="media"),
    path("oauth/userinfo", oauth.userinfo, name="oauth-userinfo"),
    path("", include("obole.api.urls")),
    path("", include("obole.trust.urls")),  # reports, /staff/moderation, /staff/trust
    path("", include("obole.web.urls")),
    path("", include("obole.economics.urls")),
]

handler400 = "obole.web.views.bad_request"
handler403 = "obole.web.views.permission_denied"
handler404 = "obole.web.views.not_found"
handler500 = "obole.web.views.server_error"
