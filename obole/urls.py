from django.contrib import admin
from django.urls import include, path
from oauth2_provider import views as oauth_views

urlpatterns = [
    path("admin/", admin.site.urls),
    # Mastodon's OAuth paths (no trailing slash), served by django-oauth-toolkit.
    path("oauth/authorize", oauth_views.AuthorizationView.as_view(), name="oauth-authorize"),
    path("oauth/token", oauth_views.TokenView.as_view(), name="oauth-token"),
    path("oauth/revoke", oauth_views.RevokeTokenView.as_view(), name="oauth-revoke"),
    path("", include("obole.api.urls")),
    path("", include("obole.web.urls")),
]

handler400 = "obole.web.views.bad_request"
handler403 = "obole.web.views.permission_denied"
handler404 = "obole.web.views.not_found"
handler500 = "obole.web.views.server_error"
